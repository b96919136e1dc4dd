# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module that does nothing: measures Ansible's own per-task cost."""

from __future__ import annotations

DOCUMENTATION = r"""
module: noop
short_description: Do nothing (benchmark helper)
description:
  - Returns at once without changing anything. Used by the benchmark to measure
    what one module task costs in Ansible itself.
options: {}
author:
  - nanocosmos.bintu maintainers
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    module.exit_json(changed=False)


if __name__ == "__main__":
    main()
