"""A bulletin's deliveries are queued with it as one document and made by the delivery worker
afterwards (bulletins first): queued twice, expanded, queued again — each delivery once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fourx_notify.adapters.deliveries import FANOUT_QUEUE, FANOUTS, DeliveryRepository
from fourx_notify.adapters.render import render_markdown
from fourx_notify.domain.bulletin import build_bulletin, street_section
from fourx_notify.domain.stats import compute_stats
from fourx_notify.service_layer.delivery import expand_fanouts, make_now
from fourx_notify.service_layer.handlers import delivery_docs
from fourx_platform.mongo import open_client


def texts() -> dict:
    """A real bulletin's texts (the unit tests' sample week), with a street section."""
    from tests.unit.notify.sample import DIRECTORY, WEEK, events

    view = build_bulletin(events(), district="d", week=WEEK, number=7, directory=DIRECTORY)
    stats = compute_stats(events(), WEEK)
    streets = [s for s in ("s1",) if street_section(view, s)]
    assert streets, "the sample has a street section"
    return {"markdown": render_markdown(view, stats), "view": view, "stats": stats, "streets": streets}

PEOPLE = [{"person_id": f"p{i}", "name": f"人员{i}", "channels": [{"kind": "email", "address": f"p{i}@example.org"}]}
          for i in range(3)]


async def test_a_queued_fanout_makes_each_delivery_once(mongo_settings, district):
    client = open_client(mongo_settings)
    try:
        db = client[f"fanout_{uuid.uuid4().hex[:6]}"]
        repo = DeliveryRepository(db)
        await repo.create_indexes()
        now, queued = datetime.now(UTC), texts()
        docs = [d for p in PEOPLE for d in delivery_docs(
            district=district, person=p, ref=f"{district}:2026-W48", version="h1", kind="bulletin", subject="周通报",
            body=None, html=None, correlationid=None, now=now, extra={"body_ref": f"{district}:2026-W48#h1"})]
        assert len(docs) == 6   # email and inbox each

        for _ in range(2):   # a redelivered request makes the same version again
            await repo.queue_fanout(f"{district}:2026-W48#h1", district, queued, docs)
        assert await db[FANOUTS].count_documents({}) == 1 and await db[FANOUT_QUEUE].count_documents({}) == 1
        assert await repo.for_ref(district, f"{district}:2026-W48") == []   # not made yet

        assert await expand_fanouts(repo) == 6
        assert await db[FANOUTS].count_documents({}) == 0 and await db[FANOUT_QUEUE].count_documents({}) == 0
        made = await repo.for_ref(district, f"{district}:2026-W48")
        assert sorted((d["recipient_id"], d["channel"]) for d in made) == [
            (p, c) for p in ("p0", "p1", "p2") for c in ("email", "inbox")]
        email = next(d for d in made if d["channel"] == "email")
        [with_text] = await repo.with_bodies([await repo.get(email["_id"])])
        assert with_text["body"] == queued["markdown"] and "<" in with_text["html"]

        # Queued again after it was made (a regeneration of the same content): nothing new.
        await repo.queue_fanout(f"{district}:2026-W48#h1", district, queued, docs)
        assert await expand_fanouts(repo) == 0
        assert len(await repo.for_ref(district, f"{district}:2026-W48")) == 6
    finally:
        await client.close()


async def test_who_has_received_it_is_made_now_when_asked(mongo_settings, district):
    """The office looks at a bulletin's recipients before the worker has made its deliveries
    (during a Monday run): they are made for that bulletin then."""
    client = open_client(mongo_settings)
    try:
        repo = DeliveryRepository(client[f"fanout_{uuid.uuid4().hex[:6]}"])
        docs = delivery_docs(district=district, person=PEOPLE[0], ref=f"{district}:2026-W48", version="h2",
                             kind="bulletin", subject="周通报", body=None, html=None, correlationid=None,
                             now=datetime.now(UTC), extra={"body_ref": f"{district}:2026-W48#h2"})
        await repo.queue_fanout(f"{district}:2026-W48#h2", district, texts(), docs)
        await make_now(repo, f"{district}:2026-W48#h2")
        assert len(await repo.for_ref(district, f"{district}:2026-W48")) == 2
        assert await repo.queued_fanouts(10) == []
        await make_now(repo, f"{district}:2026-W48#h2")   # nothing queued: nothing happens
    finally:
        await client.close()
