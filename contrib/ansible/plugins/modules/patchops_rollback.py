#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: patchops contributors

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: patchops_rollback
short_description: Restore a patchops install directory to the tree before its last patch
description:
  - Runs C(patchops rollback --dir <dir>) on the managed host, a transaction of its own, and reads the
    installed version before and after with C(patchops status --json).
  - Each rollback undoes one more transaction, so the task is not idempotent by itself. Set I(from_version)
    to roll back only while that version is installed; a second run then changes nothing.
  - In check mode the task reports whether a rollback would happen, from the kept backups.
version_added: "0.1.0"
author:
  - patchops maintainers (!UNKNOWN)
options:
  dir:
    description:
      - The install directory.
    type: path
    required: true
  from_version:
    description:
      - Roll back only when this version is installed; otherwise report C(changed=false).
      - Typically the version a failed rollout just applied.
    type: str
  keep:
    description:
      - How many backups to keep. patchops' default is 1.
    type: int
  command:
    description:
      - How to run patchops on the managed host, split into words like a shell would (no shell runs).
      - For example C(/usr/local/bin/patchops) or C(deno run -A /opt/patchops/main.ts).
    type: str
    default: patchops
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
seealso:
  - module: patchops.fleet.patchops_apply
  - module: patchops.fleet.patchops_status
'''

EXAMPLES = r'''
- name: Undo the 2.0 rollout on this host (a no-op once 2.0 is gone)
  patchops.fleet.patchops_rollback:
    dir: /opt/app
    from_version: "2.0"
    command: /usr/local/bin/patchops
'''

RETURN = r'''
version:
  description: The version installed after the task (in check mode, the version installed now), or null.
  returned: success
  type: str
  sample: "1.0"
previous_version:
  description: The version installed before the task, or null.
  returned: success
  type: str
  sample: "2.0"
rc:
  description: The exit code of patchops (1 for a failure, 2 for a usage error).
  returned: failure
  type: int
  sample: 1
stdout:
  description: What patchops printed on stdout, a line naming the versions and the steps.
  returned: changed
  type: str
  sample: "rolled back /opt/app from 2.0 to 1.0: 2 steps"
stderr:
  description: What patchops printed on stderr (warnings and its error line).
  returned: changed or failure
  type: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.patchops.fleet.plugins.module_utils.patchops import (
    COMMON_ARGUMENT_SPEC,
    fail_run,
    read_status,
    run_patchops,
    warnings_of,
)


def main():
    argument_spec = dict(
        from_version=dict(type='str'),
        keep=dict(type='int'),
    )
    argument_spec.update(COMMON_ARGUMENT_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params

    before = read_status(module)
    version = before.get('version')
    if params['from_version'] is not None and version != params['from_version']:
        module.exit_json(
            changed=False,
            version=version,
            previous_version=version,
            msg='%s is installed, not %s: nothing rolled back' % (version or 'no recorded version', params['from_version']),
        )
    if not before.get('backups'):
        module.fail_json(msg='no backup is kept in %s, so there is nothing to roll back to' % params['dir'],
                         version=version)
    if module.check_mode:
        module.exit_json(changed=True, version=version, previous_version=version)

    args = ['rollback', '--dir', params['dir']]
    if params['keep'] is not None:
        args += ['--keep', str(params['keep'])]
    run = run_patchops(module, args)
    if run['rc'] != 0:
        fail_run(module, 'patchops rollback failed', run, version=version)
    for warning in warnings_of(run):
        module.warn(warning)
    after = read_status(module)
    out = dict(
        changed=True,
        version=after.get('version'),
        previous_version=version,
        stdout=run['stdout'],
        stderr=run['stderr'],
    )
    if module._diff:
        header = '%s version' % params['dir']
        out['diff'] = dict(
            before_header=header,
            after_header=header,
            before='%s\n' % (version or '(none recorded)'),
            after='%s\n' % (after.get('version') or '(none recorded)'),
        )
    module.exit_json(**out)


if __name__ == '__main__':
    main()
