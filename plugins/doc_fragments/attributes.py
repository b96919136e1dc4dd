# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:

    # Attributes every module of the collection shares; modules set support for check_mode and diff_mode.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return a prediction of the changes without modifying the streams.
  diff_mode:
    description: Returns details on what has changed (or would change in check mode) when run in diff mode.
  action_group:
    description: Use C(group/nanocosmos.bintu.bintu) in C(module_defaults) to set defaults for this module,
      for example the connection options.
    support: full
    membership:
      - nanocosmos.bintu.bintu
"""

    # Read-only modules.
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify anything.
  diff_mode:
    support: N/A
    details:
      - This action does not modify anything.
"""
