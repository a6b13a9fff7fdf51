"""A block two texts print alike does not make them one story; copies of one story still match (issue 27)."""

from __future__ import annotations

from corpus.dedup.deduplicator import Deduplicator
from corpus.dedup.minhash import MinHashParams, Signature, is_match, signature
from tests.conftest import STORY
from tests.test_hostile_round3 import WIRE_BLOCK, WIRE_BODIES

PARAMS = MinHashParams()


def sign(*lines: str) -> Signature:
    sig = signature("\n".join(lines), PARAMS)
    assert sig is not None
    return sig


def test_two_stories_with_one_appended_block_do_not_match_though_their_jaccard_passes():
    a, b = sign(WIRE_BODIES[0], WIRE_BLOCK), sign(WIRE_BODIES[1], WIRE_BLOCK)
    assert (a.hashvalues == b.hashvalues).mean() >= PARAMS.jaccard  # the old rule alone would merge them
    assert not is_match(a, b, PARAMS)
    untagged = [Signature(s.hashvalues, s.shingles, s.words) for s in (a, b)]
    assert is_match(*untagged, PARAMS)  # an earlier night's signature (no line tags): Jaccard and containment


def test_copies_of_one_story_with_the_block_still_match():
    story = [*STORY, WIRE_BLOCK]
    edited = [line.replace("Monday", "Tuesday").replace("northern", "eastern") for line in story]
    assert is_match(sign(*story), sign(*edited), PARAMS)  # edited here and there
    assert is_match(sign(*story), sign(*story[1:]), PARAMS)  # a paragraph cut on one side only
    assert is_match(sign(*story), sign(*story, "The agency added that more rain is forecast next month, "
                                       "though not enough to refill the reservoirs before spring."), PARAMS)
    cut_one, cut_other = story[:1] + story[2:], story[:3] + story[4:]
    assert is_match(sign(*cut_one), sign(*cut_other), PARAMS)  # each cut a different paragraph: many lines shared


def test_the_deduplicator_keeps_glued_stories_apart_and_groups_a_copy():
    dedup = Deduplicator(PARAMS)
    texts = [body + "\n" + WIRE_BLOCK for body in WIRE_BODIES] + [WIRE_BODIES[2] + "\n" + WIRE_BLOCK]
    for i, text in enumerate(texts):
        dedup.add(i, signature(text, PARAMS), f"{i:032x}")
    kept, _ = dedup.groups()
    assert kept == {2: 2, 6: 2}  # only the copy of story 2 is grouped


def test_a_signature_keeps_the_tag_of_the_line_each_minimum_came_from():
    block_only, with_story = sign(WIRE_BLOCK), sign(WIRE_BODIES[0], WIRE_BLOCK)
    assert block_only.tags is not None and len(block_only.tags) == PARAMS.num_perm
    assert len(set(block_only.tags.tolist())) == 1  # one line
    same = block_only.hashvalues == with_story.hashvalues
    assert same.any() and (block_only.tags[same] == with_story.tags[same]).all()
