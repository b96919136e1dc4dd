# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - Base URL of the Bintu REST API.
      - If not set, the environment variable E(BINTU_API_URL) is used; if that is not set either, V(https://bintu.nanocosmos.de).
      - Point it at the bundled Bintu emulator for dry runs and CI, for example V(http://127.0.0.1:8089).
    type: str
    default: https://bintu.nanocosmos.de
  api_key:
    description:
      - Organisation API key, sent in the C(X-BINTU-APIKEY) header.
      - If not set, the environment variable E(BINTU_API_KEY) is used.
      - Set exactly one of O(api_key) and O(api_token).
      - The key is never shown in results, diffs or error messages.
    type: str
  api_token:
    description:
      - Bintu token of a user, sent in the C(X-BINTU-TOKEN) header. Its permissions are those of the user's role.
        nanocosmos recommends tokens over the organisation API key for backends.
      - If not set, the environment variable E(BINTU_API_TOKEN) is used.
      - Set exactly one of O(api_key) and O(api_token).
    type: str
  api_timeout:
    description:
      - Seconds to wait for each answer of the API.
    type: float
    default: 30
  api_retries:
    description:
      - How many times a failed request is retried.
      - Reads, tag updates and deletes are retried on HTTP 429 (honouring C(Retry-After), capped at 30 seconds),
        on HTTP 500, 502, 503 and 504 and on connection errors and timeouts, with jittered exponential backoff.
      - A create (C(POST /stream)) is retried only when it cannot have reached the API (HTTP 429, connection refused).
        After any other failure of a create, the stream is looked up by name before it is created again, at most
        O(api_retries) times, so a stream is never created twice.
    type: int
    default: 3
  api_rate_limit:
    description:
      - Maximum number of requests per second sent by one module call, shared by all its parallel workers,
        to stay under a known rate limit of the account.
      - V(0) means no limit.
    type: float
    default: 0
  validate_certs:
    description:
      - Whether to verify the TLS certificate of O(api_url).
      - Set to V(false) only for a test system with a self-signed certificate; the module then prints a warning.
    type: bool
    default: true
notes:
  - The modules need no Python library besides ansible-core. They keep one connection per worker open and accept
    gzip answers.
  - A proxy is taken from the environment of the module, as curl does - C(https_proxy) for an C(https://) O(api_url)
    (C(http_proxy) for C(http://)), else C(all_proxy), unless C(no_proxy) names the host. Only C(http://) proxy URLs
    are supported; C(user:password@) in the proxy URL is sent as basic proxy authentication.
  - Streams are identified by name through the identity tag C(name:<name>) on the stream (the passthrough of a
    stream group). Tags starting with C(name:), in any letter case, are reserved for it.
seealso:
  - name: Bintu API documentation
    description: The nanoStream Cloud Bintu REST API.
    link: https://docs.nanocosmos.de/docs/cloud/bintu_api
"""
