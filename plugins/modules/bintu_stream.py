#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: bintu_stream
short_description: Manage one nanoStream Cloud (Bintu) live stream
version_added: 1.0.0
description:
  - Creates, updates and deletes one live stream of nanoStream Cloud through the Bintu REST API, idempotently.
  - Bintu streams have no user-chosen name. This module gives each stream a O(name), stored as the identity tag
    C(name:<name>) on the stream, and finds the stream by that tag. A stream can also be addressed by its O(id).
  - Tags are compared as sets and can be changed in place. The ABR ladder (O(transcodes)) cannot be changed on an
    existing stream; a different ladder fails with a clear message unless O(recreate=true).
  - The stream's state (V(created), V(live), V(ended)) is observed, never set. Deleting or recreating a live stream
    needs O(force=true).
  - After creating a stream the module looks the name up once more. If another run created the same name at the
    same time, the older stream is kept and the one this run created is deleted, so a name always ends up with one
    stream. A create therefore costs three requests (lookup, create, check).
  - To manage all streams of an event in one call, use M(nanocosmos.bintu.bintu_streams).
author:
  - nanocosmos.bintu contributors (@nanocosmos)
extends_documentation_fragment:
  - nanocosmos.bintu.connection
  - nanocosmos.bintu.attributes
attributes:
  check_mode:
    support: full
    details:
      - Check mode sends no C(POST), C(PUT) or C(DELETE) and returns the predicted stream (RV(stream.id) is V(null)
        for a stream that would be created).
  diff_mode:
    support: full
    details:
      - The diff shows the managed fields only - presence, name, tags, and transcodes with their tags.
options:
  name:
    description:
      - Name of the stream, unique within the organisation. Stored as the identity tag C(name:<name>).
      - Exactly one of O(name) and O(id) is required.
      - A stream that is not found by name is created (O(state=present)).
    type: str
  id:
    description:
      - Bintu id of the stream (of the passthrough of a stream group).
      - Exactly one of O(name) and O(id) is required.
      - With O(state=present), an id that does not exist is an error; a stream is never created for an id.
        With O(state=absent), it means there is nothing to delete.
    type: str
  state:
    description:
      - V(present) creates the stream if it does not exist and updates its tags.
      - V(absent) deletes it. A live stream is deleted only with O(force=true).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description:
      - User tags of the stream, compared as a set.
      - If omitted, the tags of an existing stream are left as they are.
      - Each tag is a non-empty string, listed once; tags starting with C(name:) are reserved for the identity tag.
    type: list
    elements: raw
  purge_tags:
    description:
      - With V(true), tags of the stream that are not in O(tags) are removed. With V(false), they are kept.
      - Applies to the tags of O(transcodes) entries, too. Has no effect when O(tags) is omitted.
      - The identity tag is never removed.
    type: bool
    default: true
  transcodes:
    description:
      - The ABR ladder - one transcoded member stream per entry, in the order given, highest bitrate first.
      - Each entry is a profile name such as V(vtrans2-852x480x800x25) (C(vtrans|vtrans2-<width>x<height>x<kbit/s>x<fps>);
        the legacy forms C(vtrans2-<kbit/s>x<fps>), C(vtrans2-<kbit/s>k) and C(vtrans2-<width>x<height>x<kbit/s>) are
        accepted), or a dict with C(profile) and C(tags) for the member's own tags.
      - Each bitrate must be strictly lower than the one before, and each profile is listed once.
      - An empty list means a stream without transcodes. If omitted, the ladder of an existing stream is not checked.
      - The ladder of an existing stream is compared per position on the width, height, bitrate and frame rate the
        profile names specify. A different ladder fails unless O(recreate=true).
      - Transcoding must be enabled for the organisation.
    type: list
    elements: raw
  recreate:
    description:
      - When the ladder of the existing stream differs from O(transcodes), delete the stream and create it again.
      - The new stream has a new id and a new ingest stream name, so encoders must be given the new one.
      - A live stream is recreated only with O(force=true).
    type: bool
    default: false
  force:
    description:
      - Allow deleting (O(state=absent)) or recreating (O(recreate=true)) a stream that is live.
    type: bool
    default: false
seealso:
  - module: nanocosmos.bintu.bintu_streams
  - module: nanocosmos.bintu.bintu_stream_info
"""

EXAMPLES = r"""
- name: Create a stream with an ABR ladder, or make sure it has these tags
  nanocosmos.bintu.bintu_stream:
    name: summit-2027/main-hall
    tags:
      - event:summit-2027
      - room:main-hall
    transcodes:
      - vtrans2-852x480x800x25
      - profile: vtrans2-640x360x400x25
        tags: [low]
  register: main_hall

- name: Tell the encoder operator where to send
  ansible.builtin.debug:
    msg: "{{ main_hall.stream.ingest.rtmp_url }} / {{ main_hall.stream.ingest.streamname }}"

- name: Add a tag and keep the other tags
  nanocosmos.bintu.bintu_stream:
    name: summit-2027/main-hall
    tags: [recorded]
    purge_tags: false

- name: Change the ladder (the stream gets a new id and ingest stream name)
  nanocosmos.bintu.bintu_stream:
    name: summit-2027/main-hall
    transcodes:
      - vtrans2-1280x720x1600x25
      - vtrans2-852x480x800x25
      - vtrans2-640x360x400x25
    recreate: true

- name: Delete a stream by id, even while it is live
  nanocosmos.bintu.bintu_stream:
    id: 1dec3bbc-758b-4879-a202-7ae877d511ba
    state: absent
    force: true

- name: Set the connection once for several tasks
  module_defaults:
    group/nanocosmos.bintu.bintu:
      api_url: https://bintu.nanocosmos.de
      api_token: "{{ vault_bintu_token }}"
  block:
    - name: A stream without transcodes
      nanocosmos.bintu.bintu_stream:
        name: backstage
        transcodes: []
"""

RETURN = r"""
stream:
  description:
    - The stream after the run (predicted in check mode), in the collection's normalised shape.
    - V(null) when the stream does not exist after the run (O(state=absent)).
    - When the module fails because the ladder differs or the stream is live, the stream as it is.
  type: dict
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
action:
  description:
    - What was done - V(created), V(updated), V(unchanged), V(recreated), V(deleted) or V(absent) (nothing to delete).
  type: str
  returned: always
  sample: created
changes:
  description: What was changed (or would be changed in check mode), one line per change.
  type: list
  elements: str
  returned: always
  sample: ["tags: +room:main-hall, -room:old"]
"""

from ansible_collections.nanocosmos.bintu.plugins.module_utils._module import run_stream_module


def main():
    run_stream_module()


if __name__ == '__main__':
    main()
