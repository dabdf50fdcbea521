#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: patchops contributors

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: patchops_apply
short_description: Apply a signed patchops patch to an install directory
description:
  - Runs C(patchops apply <manifest> --dir <dir> --json) on the managed host and reads its JSON events.
  - patchops fetches the package, checks its hash and minisign signature, and replaces or deletes files in
    I(dir) as one transaction; any failure leaves the directory as it was.
  - Idempotent. When the manifest's version is installed already, patchops applies nothing and the task
    reports C(changed=false).
  - In check mode the module runs C(apply --dry-run). The package is still fetched and verified, so a bad
    signature or a broken directory fails in check mode too, but nothing in I(dir) changes.
  - In diff mode the plan (which paths are replaced, created and deleted) and the version change are shown.
version_added: "0.1.0"
author:
  - patchops maintainers (!UNKNOWN)
options:
  manifest:
    description:
      - The manifest to apply, an http(s) or C(file:) URL or a path on the managed host.
      - Either a single patch or an enhanced manifest with one patch per architecture.
    type: str
    required: true
  dir:
    description:
      - The install directory. It must exist.
    type: path
    required: true
  public_key:
    description:
      - The publisher's minisign public key, as a path to a C(.pub) file on the managed host or as the key
        line itself.
      - Without it, patchops refuses unless I(allow_unsigned=true).
    type: str
  allow_unsigned:
    description:
      - Apply without checking a signature; only the hash in the manifest protects the package.
    type: bool
    default: false
  require_signed_operations:
    description:
      - Refuse packages whose operations list is not covered by the signature.
    type: bool
    default: false
  arch:
    description:
      - The architecture to choose from an enhanced manifest, instead of the host's.
    type: str
  keep:
    description:
      - How many patch backups to keep for rollback. patchops' default is 1.
    type: int
  timeout:
    description:
      - Seconds without progress before a download is given up. patchops' default is 30.
    type: int
  force:
    description:
      - Apply even when the patch is for another installed version, or is a downgrade.
      - Also applies the installed version again, so the task always reports a change.
    type: bool
    default: false
  db:
    description:
      - Database URL for a patch that carries a schema migration.
    type: str
  skip_db:
    description:
      - Apply a patch that carries a migration without migrating any database.
    type: bool
    default: false
  allow_destructive:
    description:
      - Let a migration drop tables or columns, or narrow types.
    type: bool
    default: false
  command:
    description:
      - How to run patchops on the managed host, split into words like a shell would (no shell runs).
      - For example C(/usr/local/bin/patchops) (a compiled binary) or C(deno run -A /opt/patchops/main.ts).
    type: str
    default: patchops
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
notes:
  - patchops takes a lock on I(dir); a second run on the same directory fails at once, naming the holder.
seealso:
  - module: patchops.fleet.patchops_status
  - module: patchops.fleet.patchops_rollback
'''

EXAMPLES = r'''
- name: Apply the latest release from the update channel
  patchops.fleet.patchops_apply:
    manifest: https://updates.example.com/app/stable/manifest.json
    dir: /opt/app
    public_key: /etc/patchops/release.pub
    command: /usr/local/bin/patchops
  register: app_patch

- name: Restart the service when the version changed
  ansible.builtin.service:
    name: app
    state: restarted
  when: app_patch is changed

- name: Apply with patchops run from source
  patchops.fleet.patchops_apply:
    manifest: /srv/patches/app-2.0.json
    dir: /opt/app
    public_key: RWQf6LRCGA9i5...
    command: deno run -A /opt/patchops/main.ts
'''

RETURN = r'''
version:
  description: The version installed after the task (in check mode, the version that would be).
  returned: success
  type: str
  sample: "2.0"
previous_version:
  description: The version installed before the task, if one was recorded.
  returned: success
  type: str
  sample: "1.0"
up_to_date:
  description: Whether the version was installed already, so that nothing was applied.
  returned: success
  type: bool
dry_run:
  description: Whether patchops ran with C(--dry-run) (check mode).
  returned: success
  type: bool
transaction:
  description: The transaction id patchops gave this apply.
  returned: success
  type: str
  sample: 20261201T144011.849Z-5af2914e
files_replaced:
  description: Files and symlinks replaced or created.
  returned: success
  type: int
directories_replaced:
  description: Directories replaced or created as a whole.
  returned: success
  type: int
paths_deleted:
  description: Files and directories deleted.
  returned: success
  type: int
bytes:
  description: Bytes written into the install directory.
  returned: success
  type: int
package_bytes:
  description: Size of the downloaded package.
  returned: success
  type: int
signed:
  description: Whether the package's signature was checked.
  returned: success
  type: bool
steps:
  description: The plan, one step per path, in the order patchops commits them.
  returned: success
  type: list
  elements: dict
  sample: [{"action": "replace", "path": "bin/app", "hadTarget": true, "parents": []}]
migration:
  description: The database migration the patch carried, if any.
  returned: success
  type: dict
rc:
  description: The exit code of patchops (1 for a failure, 2 for a usage error).
  returned: failure
  type: int
  sample: 1
stderr:
  description: What patchops printed on stderr (progress, warnings and its error line).
  returned: always
  type: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.patchops.fleet.plugins.module_utils.patchops import (
    COMMON_ARGUMENT_SPEC,
    fail_run,
    run_patchops,
    warnings_of,
)


def apply_args(params, check_mode):
    """The patchops command line for the module's parameters."""
    args = ['apply', params['manifest'], '--dir', params['dir'], '--json']
    if params['public_key']:
        args += ['--public-key', params['public_key']]
    for name in ('allow_unsigned', 'require_signed_operations', 'force', 'skip_db', 'allow_destructive'):
        if params[name]:
            args.append('--' + name.replace('_', '-'))
    for name in ('arch', 'keep', 'timeout', 'db'):
        if params[name] is not None:
            args += ['--' + name, str(params[name])]
    if check_mode:
        args.append('--dry-run')
    return args


def plan_text(result):
    """The plan as the CLI prints it for --dry-run: one line per step."""
    lines = []
    for step in result.get('steps') or []:
        if step.get('action') == 'delete':
            verb = 'delete '
        elif step.get('hadTarget'):
            verb = 'replace'
        else:
            verb = 'create '
        lines.append('%s %s' % (verb, step.get('path')))
    return ''.join(line + '\n' for line in lines)


def main():
    argument_spec = dict(
        manifest=dict(type='str', required=True),
        public_key=dict(type='str', no_log=False),
        allow_unsigned=dict(type='bool', default=False),
        require_signed_operations=dict(type='bool', default=False),
        arch=dict(type='str'),
        keep=dict(type='int'),
        timeout=dict(type='int'),
        force=dict(type='bool', default=False),
        db=dict(type='str', no_log=True),
        skip_db=dict(type='bool', default=False),
        allow_destructive=dict(type='bool', default=False),
    )
    argument_spec.update(COMMON_ARGUMENT_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)

    run = run_patchops(module, apply_args(module.params, module.check_mode))
    if run['rc'] != 0:
        fail_run(module, 'patchops apply failed', run)
    results = [e for e in run['events'] if e.get('event') == 'result']
    if not results:
        fail_run(module, 'patchops apply printed no result', run)
    result = results[-1]

    up_to_date = bool(result.get('upToDate'))
    if not up_to_date:
        # An up-to-date run warns only that there is nothing to do.
        for warning in warnings_of(run):
            module.warn(warning)
    changed = not up_to_date
    out = dict(
        changed=changed,
        version=result.get('version'),
        previous_version=result.get('previousVersion'),
        up_to_date=up_to_date,
        dry_run=bool(result.get('dryRun')),
        transaction=result.get('id'),
        files_replaced=result.get('filesReplaced'),
        directories_replaced=result.get('directoriesReplaced'),
        paths_deleted=result.get('pathsDeleted'),
        bytes=result.get('bytes'),
        package_bytes=result.get('packageBytes'),
        signed=result.get('signed'),
        steps=result.get('steps') or [],
        migration=result.get('migration'),
        stderr=run['stderr'],
    )
    if module._diff and changed:
        header = '%s version' % module.params['dir']
        out['diff'] = dict(
            before_header=header,
            after_header=header,
            before='%s\n' % (result.get('previousVersion') or '(none recorded)'),
            after='%s\n' % result.get('version'),
            prepared=plan_text(result),
        )
    module.exit_json(**out)


if __name__ == '__main__':
    main()
