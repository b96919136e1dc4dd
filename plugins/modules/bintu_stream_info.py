#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: bintu_stream_info
short_description: List nanoStream Cloud (Bintu) live streams
version_added: 1.0.0
description:
  - Returns the latest streams of the organisation, newest first, in the normalised shape of
    M(nanocosmos.bintu.bintu_stream). Transcoded members of stream groups are not listed on their own; they appear in
    the C(transcodes) of their stream.
  - Filters combine - O(tags) (all must match), O(state), O(name) or O(id).
author:
  - nanocosmos.bintu contributors (@nanocosmos)
extends_documentation_fragment:
  - nanocosmos.bintu.connection
  - nanocosmos.bintu.attributes
  - nanocosmos.bintu.attributes.info_module
options:
  quantity:
    description:
      - Maximum number of streams to return. The API returns the newest streams first.
    type: int
    default: 50
  tags:
    description:
      - Only streams that carry all these tags.
    type: list
    elements: raw
  state:
    description:
      - Only streams in this state.
    type: str
    choices: [created, live, ended]
  id:
    description:
      - Only the stream with this id. An id that does not exist gives an empty list.
    type: str
  name:
    description:
      - Only the stream with this name (identity tag C(name:<name>)).
    type: str
seealso:
  - module: nanocosmos.bintu.bintu_stream
  - module: nanocosmos.bintu.bintu_streams
"""

EXAMPLES = r"""
- name: The ten latest live streams
  nanocosmos.bintu.bintu_stream_info:
    state: live
    quantity: 10
  register: latest

- name: Show them
  ansible.builtin.debug:
    msg: "{{ item.name | default(item.id, true) }} {{ item.state }} {{ item.ingest.streamname }}"
  loop: "{{ latest.streams }}"
  loop_control:
    label: "{{ item.id }}"

- name: The streams of an event
  nanocosmos.bintu.bintu_stream_info:
    tags: [event:summit-2027]
    quantity: 500
  register: event_streams

- name: One stream by name
  nanocosmos.bintu.bintu_stream_info:
    name: summit-2027/main-hall-en
  register: main_hall
"""

RETURN = r"""
streams:
  description: The matching streams, newest first, normalised.
  type: list
  elements: dict
  returned: always
  contains:
    id:
      description:
        - Id of the stream, the passthrough of its stream group.
        - V(null) for a stream that check mode would create.
      type: str
      returned: always
      sample: 1dec3bbc-758b-4879-a202-7ae877d511ba
    name:
      description:
        - Name of the stream, read from its identity tag C(name:<name>).
        - V(null) for a stream without an identity tag.
      type: str
      returned: always
      sample: summit-2027/main-hall
    state:
      description:
        - State observed by Bintu (V(created), V(live), V(ended) or V(locked)). It is set by the encoder, never by this collection.
        - V(null) for a stream that check mode would create.
      type: str
      returned: always
      sample: created
    created_at:
      description: Creation time, ISO 8601 in UTC.
      type: str
      returned: always
      sample: "2027-05-04T08:00:00.000Z"
    streamgroup:
      description: Id of the stream group; for a passthrough it equals the id of the stream.
      type: str
      returned: always
      sample: 1dec3bbc-758b-4879-a202-7ae877d511ba
    tags:
      description: User tags of the stream, sorted. The identity tag is not included.
      type: list
      elements: str
      returned: always
      sample: [event:summit-2027, room:main-hall]
    ingest:
      description: Where the encoder sends the stream.
      type: dict
      returned: always
      contains:
        rtmp_url:
          description: RTMP ingest URL.
          type: str
          returned: always
          sample: rtmp://bintu-stream.nanocosmos.de:1935/live
        streamname:
          description: RTMP ingest stream name.
          type: str
          returned: always
          sample: CD6xx-Kp3sQ
    playout:
      description: Playback endpoints, one entry per member of the stream group; index V(0) is the passthrough.
      type: dict
      returned: always
      contains:
        rtmp:
          description: RTMP playout.
          type: list
          elements: dict
          returned: always
          contains:
            index:
              description: Position in the stream group, V(0) for the passthrough.
              type: int
              returned: always
            id:
              description: Id of the member stream.
              type: str
              returned: always
            url:
              description: RTMP playout URL.
              type: str
              returned: always
            streamname:
              description: RTMP playout stream name.
              type: str
              returned: always
        hls:
          description: HLS playout.
          type: list
          elements: dict
          returned: always
          contains:
            index:
              description: Position in the stream group, V(0) for the passthrough.
              type: int
              returned: always
            id:
              description: Id of the member stream.
              type: str
              returned: always
            url:
              description: HLS playlist URL.
              type: str
              returned: always
        h5live:
          description: H5Live playout for the nanoStream H5Live player.
          type: list
          elements: dict
          returned: always
          contains:
            index:
              description: Position in the stream group, V(0) for the passthrough.
              type: int
              returned: always
            id:
              description: Id of the member stream.
              type: str
              returned: always
            streamname:
              description: Stream name of the member.
              type: str
              returned: always
            websocket:
              description: H5Live websocket URL.
              type: str
              returned: always
            hls:
              description: H5Live HLS URL.
              type: str
              returned: always
            progressive:
              description: H5Live progressive URL.
              type: str
              returned: always
            width:
              description: Video width in pixels, if known.
              type: int
              returned: always
            height:
              description: Video height in pixels, if known.
              type: int
              returned: always
            bitrate:
              description: Video bitrate in kbit/s, if known.
              type: int
              returned: always
            fps:
              description: Frames per second, if known.
              type: int
              returned: always
        web:
          description: Web playout and recording URLs.
          type: list
          elements: str
          returned: always
    transcodes:
      description: The ABR ladder, that is the members of the stream group after the passthrough, highest bitrate first.
      type: list
      elements: dict
      returned: always
      contains:
        profile:
          description:
            - Transcoding profile. When the member matches a profile of the desired ladder, that name; otherwise the
              profile the API reports, or one rebuilt from the member's width, height, bitrate and frame rate.
          type: str
          returned: always
          sample: vtrans2-852x480x800x25
        id:
          description: Id of the member stream; V(null) for one that check mode would create.
          type: str
          returned: always
        streamname:
          description: Stream name of the member.
          type: str
          returned: always
        tags:
          description: Tags of the member stream, sorted.
          type: list
          elements: str
          returned: always
        width:
          description: Video width in pixels, if known.
          type: int
          returned: always
        height:
          description: Video height in pixels, if known.
          type: int
          returned: always
        bitrate:
          description: Video bitrate in kbit/s, if known.
          type: int
          returned: always
        fps:
          description: Frames per second, if known.
          type: int
          returned: always
"""

from ansible_collections.nanocosmos.bintu.plugins.module_utils._module import run_info_module


def main():
    run_info_module()


if __name__ == '__main__':
    main()
