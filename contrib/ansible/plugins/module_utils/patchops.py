# -*- coding: utf-8 -*-
# Copyright: patchops contributors

"""Runs the patchops command line and reads what it prints.

patchops prints results on stdout (with ``--json``: one JSON object per
line, the last one an ``event: result`` or ``event: error``) and progress,
warnings and its one-line ``error: <what> (<why>)`` on stderr. Its exit
codes: 0 success, 1 failure, 2 usage error, 130/143 interrupted.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import shlex

# Options every patchops module takes.
COMMON_ARGUMENT_SPEC = dict(
    dir=dict(type='path', required=True),
    command=dict(type='str', default='patchops'),
)


def patchops_argv(module, args):
    """The patchops command line split like a shell would (no shell runs), then ``args``."""
    command = shlex.split(module.params['command'])
    if not command:
        module.fail_json(msg='command must name the patchops program')
    return command + args


def run_patchops(module, args):
    """Runs patchops with ``args``; returns rc, stdout, stderr and the JSON objects on stdout."""
    argv = patchops_argv(module, args)
    # NO_COLOR: plain progress lines on stderr, never a live terminal line.
    rc, out, err = module.run_command(argv, environ_update=dict(NO_COLOR='1'))
    events = []
    for line in out.splitlines():
        line = line.strip()
        if not line.startswith('{'):
            continue
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return dict(argv=argv, rc=rc, stdout=out, stderr=err, events=events)


def error_text(run):
    """patchops' own error message: an ``error`` event, else the last ``error:`` line on stderr."""
    for event in reversed(run['events']):
        if event.get('event') == 'error' and event.get('message'):
            return event['message']
    lines = [line for line in run['stderr'].splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith('error: '):
            return line[len('error: '):]
    if lines:
        return lines[-1]
    return 'patchops exited with code %d and printed no error' % run['rc']


def warnings_of(run):
    """The ``warning:`` lines patchops printed on stderr, without the prefix."""
    return [line[len('warning: '):] for line in run['stderr'].splitlines() if line.startswith('warning: ')]


def fail_run(module, what, run, **extra):
    """Fails the task with patchops' error text, exit code and output."""
    module.fail_json(
        msg='%s: %s' % (what, error_text(run)),
        rc=run['rc'],
        cmd=run['argv'],
        stdout=run['stdout'],
        stderr=run['stderr'],
        **extra
    )


def read_status(module):
    """``patchops status --dir <dir> --json`` as a dict; fails the task when it fails."""
    run = run_patchops(module, ['status', '--dir', module.params['dir'], '--json'])
    if run['rc'] != 0:
        fail_run(module, 'patchops status failed', run)
    for event in reversed(run['events']):
        if 'event' not in event or event.get('event') == 'result':
            return event
    fail_run(module, 'patchops status printed no JSON', run)
    return None
