#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: patchops contributors

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: patchops_status
short_description: Read the installed version and pending work of a patchops install directory
description:
  - Runs C(patchops status --dir <dir> --json) on the managed host. It only reads; it takes no lock and
    changes nothing.
version_added: "0.1.0"
author:
  - patchops maintainers (!UNKNOWN)
options:
  dir:
    description:
      - The install directory.
    type: path
    required: true
  command:
    description:
      - How to run patchops on the managed host, split into words like a shell would (no shell runs).
      - For example C(/usr/local/bin/patchops) or C(deno run -A /opt/patchops/main.ts).
    type: str
    default: patchops
attributes:
  check_mode:
    description: The module only reads, in check mode as in a normal run.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
seealso:
  - module: patchops.fleet.patchops_apply
  - module: patchops.fleet.patchops_rollback
'''

EXAMPLES = r'''
- name: Read the installed version
  patchops.fleet.patchops_status:
    dir: /opt/app
    command: /usr/local/bin/patchops
  register: app_status

- name: Report hosts that are behind
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }} runs {{ app_status.version }}"
  when: app_status.version != '2.0'
'''

RETURN = r'''
dir:
  description: The install directory as a real path.
  returned: success
  type: str
  sample: /opt/app
version:
  description: The installed version, or null when none is recorded.
  returned: success
  type: str
  sample: "2.0"
applied_at:
  description: When the last transaction committed (ISO 8601), or null.
  returned: success
  type: str
last_transaction:
  description: The last committed transaction (id, kind, version, time), or null.
  returned: success
  type: dict
pending:
  description: Transactions left unfinished by a crash; the next patchops command repairs them.
  returned: success
  type: list
  elements: dict
backups:
  description: Ids of the kept backups that rollback can restore.
  returned: success
  type: list
  elements: str
lock:
  description: The process holding the directory's lock, or null when it is free.
  returned: success
  type: dict
history:
  description: Every committed transaction, oldest first.
  returned: success
  type: list
  elements: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.patchops.fleet.plugins.module_utils.patchops import (
    COMMON_ARGUMENT_SPEC,
    read_status,
)


def main():
    module = AnsibleModule(argument_spec=dict(COMMON_ARGUMENT_SPEC), supports_check_mode=True)
    status = read_status(module)
    module.exit_json(
        changed=False,
        dir=status.get('dir'),
        version=status.get('version'),
        applied_at=status.get('appliedAt'),
        last_transaction=status.get('lastTransaction'),
        pending=status.get('pending') or [],
        backups=status.get('backups') or [],
        lock=status.get('lock'),
        history=status.get('history') or [],
    )


if __name__ == '__main__':
    main()
