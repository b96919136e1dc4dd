#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, nanocosmos.bintu contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: bintu_streams
short_description: Manage all nanoStream Cloud (Bintu) live streams of a scope, such as an event, in one call
version_added: 1.0.0
description:
  - Converges a list of named live streams in one module call, with bounded concurrency, using the same engine
    as M(nanocosmos.bintu.bintu_stream) - identity tag C(name:<name>), tags compared as sets, ladder checks,
    O(recreate) and O(force) behave the same.
  - O(scope_tags) (for example V(event:summit-2027)) are put on every stream and define the scope - which streams
    O(prune) and O(state=absent) without O(streams) may delete. Only streams with an identity tag (created by this
    collection) are ever deleted that way.
  - The module reads the scope with one listing. A stream missing from the listing is only declared missing after
    a lookup by its name, because a listing can be cut short. An unchanged scope costs one request.
  - One failing stream does not stop the others. The module fails at the end, naming each stream that failed;
    a re-run converges the rest.
  - Deleting a live stream needs O(force=true); without it, the stream is kept and reported as V(kept_live), which
    is not a failure.
author:
  - nanocosmos.bintu contributors (@nanocosmos)
extends_documentation_fragment:
  - nanocosmos.bintu.connection
  - nanocosmos.bintu.attributes
attributes:
  check_mode:
    support: full
    details:
      - Check mode sends no C(POST), C(PUT) or C(DELETE) and returns the predicted results.
  diff_mode:
    support: full
    details:
      - The diff shows, per stream name, the managed fields only - presence, name, tags, and transcodes with their tags.
options:
  streams:
    description:
      - The streams of the scope.
      - With O(state=absent), the streams to delete; if empty or omitted, every stream of the scope is deleted.
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - Name of the stream, unique in the list and within the organisation.
        type: str
        required: true
      tags:
        description:
          - User tags of the stream, in addition to O(scope_tags).
          - If omitted, only O(scope_tags) are added and the other tags of an existing stream are left as they are.
          - If given, the stream's tags become O(scope_tags) plus these, and with O(purge_tags=true) other tags are
            removed.
        type: list
        elements: raw
      transcodes:
        description:
          - The ABR ladder, as in O(nanocosmos.bintu.bintu_stream#module:transcodes) - profile names or dicts with
            C(profile) and C(tags), highest bitrate first, each bitrate strictly lower than the one before.
          - An empty list, or neither O(streams[].transcodes) nor O(streams[].ladder), means a stream without
            transcodes.
          - Mutually exclusive with O(streams[].ladder).
        type: list
        elements: raw
      ladder:
        description:
          - The name of one of O(ladders), as the stream's ABR ladder.
          - Mutually exclusive with O(streams[].transcodes).
        type: str
  ladders:
    description:
      - Named ABR ladders, a dict from ladder name to a list as in O(streams[].transcodes) (see the examples).
        Every ladder is checked, even one that no stream uses.
      - O(streams[].ladder) picks one by name. The hand-off sheet (O(handoff)) shows the ladder name of each stream,
        V(custom) for streams with their own O(streams[].transcodes), and for streams that are not in O(streams)
        (pruned, torn down) the name of the ladder their transcodes match.
    type: dict
  handoff:
    description:
      - Write a hand-off sheet for encoder operators after the run - per stream the ladder, the RTMP ingest URL and
        stream name, and the H5Live and HLS playback of every rendition; with the run summary and the reason of
        each failed stream.
      - The files are written on the host the module runs on, with mode C(0600) in a directory with mode C(0700), because
        an ingest stream name is all it takes to publish to a stream. Each file is replaced as a whole.
      - The sheet is written even when streams failed. In check mode nothing is written.
      - Writing the sheet does not count as a change.
    type: dict
    suboptions:
      dir:
        description:
          - The directory of the sheet. It is created if missing, and its mode is set to C(0700).
        type: path
        required: true
      name:
        description:
          - The file name of the sheet without extension; the files are C(<name>.md), C(<name>.csv) and
            C(<name>.json).
        type: str
        default: handoff
      formats:
        description:
          - The formats to write. V(json) holds everything, including the run summary.
        type: list
        elements: str
        choices: [markdown, csv, json]
        default: [markdown, csv, json]
      title:
        description:
          - What the sheet is about, shown in its heading, for example the event V(summit-2027).
          - Defaults to O(scope_tags).
        type: str
  scope_tags:
    description:
      - Tags that mark every stream of this call, for example V(event:summit-2027). At least one is required.
      - They are added to every stream, and they define what O(prune) and O(state=absent) may delete.
    type: list
    elements: raw
    required: true
  prune:
    description:
      - Delete streams of the scope whose name is not in O(streams). Live streams are kept unless O(force=true).
    type: bool
    default: false
  state:
    description:
      - V(present) creates and updates the streams in O(streams).
      - V(absent) deletes the streams in O(streams), or every stream of the scope when O(streams) is empty.
    type: str
    choices: [present, absent]
    default: present
  purge_tags:
    description:
      - With V(true), tags not listed are removed from streams that have O(streams[].tags) set, and from transcodes
        that have tags set.
    type: bool
    default: true
  recreate:
    description:
      - Delete and create again streams whose ladder differs from the desired one (O(streams[].ladder) or
        O(streams[].transcodes)). They get a new id and a new ingest stream name. Live streams are recreated only with
        O(force=true).
    type: bool
    default: false
  force:
    description:
      - Allow deleting or recreating streams that are live.
    type: bool
    default: false
  concurrency:
    description:
      - How many streams are worked on in parallel. Combine with O(api_rate_limit) to stay under an account's rate limit.
    type: int
    default: 4
seealso:
  - module: nanocosmos.bintu.bintu_stream
  - module: nanocosmos.bintu.bintu_stream_info
"""

EXAMPLES = r"""
- name: Roll out the streams of an event
  nanocosmos.bintu.bintu_streams:
    scope_tags: [event:summit-2027]
    prune: true
    streams:
      - name: summit-2027/main-hall-en
        tags: [room:main-hall, lang:en]
        transcodes:
          - vtrans2-852x480x800x25
          - vtrans2-640x360x400x25
      - name: summit-2027/main-hall-de
        tags: [room:main-hall, lang:de]
        transcodes: [vtrans2-852x480x800x25]
      - name: summit-2027/backstage
  register: rollout

- name: Print the ingest of each stream
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.stream.ingest.rtmp_url }} {{ item.stream.ingest.streamname }}"
  loop: "{{ rollout.results }}"
  loop_control:
    label: "{{ item.name }}"

- name: Roll out an event with named ladders and write the hand-off sheet for the encoder operators
  nanocosmos.bintu.bintu_streams:
    scope_tags: [event:summit-2027]
    ladders:
      hd: [vtrans2-1280x720x1600x25, vtrans2-852x480x800x25, vtrans2-640x360x400x25]
      sd: [vtrans2-852x480x800x25, vtrans2-640x360x400x25]
    streams:
      - name: summit-2027/keynote
        ladder: hd
      - name: summit-2027/track-1
        ladder: sd
    handoff:
      dir: /srv/events/summit-2027
      title: summit-2027

- name: Tear the event down, keeping streams that are still live
  nanocosmos.bintu.bintu_streams:
    scope_tags: [event:summit-2027]
    state: absent
"""

RETURN = r"""
results:
  description: One entry per stream, in the order of O(streams), then the streams deleted by O(prune) or O(state=absent).
  type: list
  elements: dict
  returned: always
  contains:
    name:
      description: Name of the stream.
      type: str
      returned: always
      sample: summit-2027/main-hall-en
    id:
      description: Id of the stream; V(null) for one that check mode would create.
      type: str
      returned: always
    action:
      description:
        - V(created), V(updated), V(unchanged), V(recreated), V(deleted), V(absent) (nothing to delete),
          V(kept_live) (live, not deleted without O(force)) or V(failed).
      type: str
      returned: always
      sample: created
    changes:
      description: What was changed (or would be changed in check mode), one line per change.
      type: list
      elements: str
      returned: always
    msg:
      description: Why the stream failed or was kept.
      type: str
      returned: when RV(results[].action) is V(failed) or V(kept_live)
    stream:
      description:
        - The stream after the run (predicted in check mode), normalised as in M(nanocosmos.bintu.bintu_stream).
        - V(null) when it does not exist after the run. For V(failed) and V(kept_live), the stream as it is.
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
summary:
  description: Number of streams per action, and the total.
  type: dict
  returned: always
  sample: {total: 3, created: 1, updated: 1, unchanged: 1, recreated: 0, deleted: 0, kept_live: 0, failed: 0, absent: 0}
  contains:
    total:
      description: Number of results.
      type: int
      returned: always
    created:
      description: Streams created.
      type: int
      returned: always
    updated:
      description: Streams whose tags were updated.
      type: int
      returned: always
    unchanged:
      description: Streams that were already as desired.
      type: int
      returned: always
    recreated:
      description: Streams deleted and created again for a ladder change.
      type: int
      returned: always
    deleted:
      description: Streams deleted.
      type: int
      returned: always
    kept_live:
      description: Live streams kept instead of deleted.
      type: int
      returned: always
    failed:
      description: Streams that could not be converged.
      type: int
      returned: always
    absent:
      description: Streams to delete that did not exist.
      type: int
      returned: always
handoff:
  description: The hand-off sheet of O(handoff).
  type: dict
  returned: when O(handoff) is set
  sample: {written: true, files: [/srv/events/summit-2027/handoff.md, /srv/events/summit-2027/handoff.csv,
                                  /srv/events/summit-2027/handoff.json]}
  contains:
    written:
      description: Whether the files were written; V(false) in check mode.
      type: bool
      returned: always
    files:
      description: The paths of the sheet's files (those that would be written, in check mode).
      type: list
      elements: str
      returned: always
"""

from ansible_collections.nanocosmos.bintu.plugins.module_utils._module import run_streams_module


def main():
    run_streams_module()


if __name__ == '__main__':
    main()
