"""One search: Chinese and English text, published listings only, filters, sorts and paging."""

from __future__ import annotations

import base64
import json
from typing import Annotated

from fastapi import FastAPI, Query

from api.schemas.catalogue import SearchParams
from models.enums import OrganisationKind, Role
from tests.factories.catalogue import create_published, instrument_body, make_world, offer_body, pilot_body
from tests.factories.organisations import create_member, create_org

SEARCH = "/api/v1/catalogue/search"


async def titles(client, **params) -> list[str]:
    response = await client.get(SEARCH, params=params)
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


class TestTextSearch:
    async def test_a_chinese_word_finds_a_title_containing_it(self, client, db, app):
        w = await make_world(db, app)
        await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        await create_published(
            client,
            w.institute_staff,
            "pilot-results",
            pilot_body(
                title="工业机器人视觉定位系统",
                abstract="基于深度学习的视觉定位。",
                abstract_en="Vision-guided robot positioning.",
                title_en=None,
            ),
        )
        assert await titles(client, q="锂电池") == ["高能量密度锂电池正极材料中试成果"]

    async def test_an_english_word_finds_the_english_abstract(self, client, db, app):
        w = await make_world(db, app)
        await create_published(
            client,
            w.institute_staff,
            "pilot-results",
            pilot_body(title_en=None, abstract_en="A cathode for battery cells."),
        )
        assert await titles(client, q="battery") == ["高能量密度锂电池正极材料中试成果"]

    async def test_english_matching_ignores_case_and_accepts_prefixes(self, client, db, app):
        w = await make_world(db, app)
        await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        assert await titles(client, q="BATTER") == ["高能量密度锂电池正极材料中试成果"]

    async def test_english_prefixes_from_two_letters_one_letter_matches_a_whole_word(self, client, db, app):
        """Prefixes of 2 to 24 letters are indexed beside each stem (services/segmentation.py); a
        one-letter word matches only itself; a longer typed word is still matched as a prefix."""
        w = await make_world(db, app)
        await create_published(
            client,
            w.institute_staff,
            "pilot-results",
            pilot_body(abstract_en="A cathode for battery cells, grade x, see supercalifragilisticexpialidocious1."),
        )
        found = ["高能量密度锂电池正极材料中试成果"]
        for q in ("ba", "bat", "Batt", "batteri", "cathod", "x", "supercalifragilisticexpialid"):
            assert await titles(client, q=q) == found, q
        for q in ("b", "c", "batteriez", "cathodes x2"):
            assert await titles(client, q=q) == [], q

    async def test_english_plurals_and_singulars_find_each_other(self, client, db, app):
        """Snowball English stems on both sides: microscope <-> microscopes, battery <-> batteries."""
        w = await make_world(db, app)
        await create_published(client, w.institute_staff, "instruments", instrument_body())  # "... microscope"
        await create_published(
            client, w.institute_staff, "pilot-results", pilot_body(abstract_en="Anodes for sodium-ion batteries.")
        )
        assert await titles(client, q="microscopes") == ["场发射扫描电子显微镜"]
        assert await titles(client, q="microscope") == ["场发射扫描电子显微镜"]
        assert await titles(client, q="battery") == ["高能量密度锂电池正极材料中试成果"]
        assert await titles(client, q="anode") == ["高能量密度锂电池正极材料中试成果"]
        assert await titles(client, q="scans") == ["场发射扫描电子显微镜"]  # scanning -> scan
        assert await titles(client, q="batteryx") == []

    async def test_every_word_must_match(self, client, db, app):
        w = await make_world(db, app)
        await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        assert await titles(client, q="锂电池 robot") == []
        assert await titles(client, q="锂电池 cathode") == ["高能量密度锂电池正极材料中试成果"]

    async def test_a_shorter_chinese_word_finds_a_longer_one(self, client, db, app):
        w = await make_world(db, app)
        await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        assert await titles(client, q="电池") == ["高能量密度锂电池正极材料中试成果"]

    async def test_the_owner_name_is_searchable(self, client, db, app):
        w = await make_world(db, app)
        await create_published(client, w.institute_staff, "instruments", instrument_body())
        assert await titles(client, q="先进材料研究院") == ["场发射扫描电子显微镜"]

    async def test_query_operators_are_treated_as_words(self, client, db, app):
        w = await make_world(db, app)
        await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        assert await titles(client, q='"battery" OR * NEAR(') == []
        assert await titles(client, q="'; DROP TABLE listings; --") == []

    async def test_punctuation_only_matches_nothing(self, client, db, app):
        w = await make_world(db, app)
        await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        assert await titles(client, q="！？") == []

    async def test_results_carry_price_trl_owner_and_rank(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        item = (await client.get(SEARCH, params={"q": "锂电池"})).json()["items"][0]
        assert item["id"] == published["id"]
        assert item["kind"] == "pilot_result"
        assert item["trl"] == 7
        assert item["price"] == {"amount": 500_000_000, "currency": "CNY"}
        assert item["owner_name"] == "先进材料研究院"
        assert item["centre_id"] == str(w.centre.id)
        assert item["rank"] == 2  # the word is in the title


class TestOnlyPublishedListings:
    async def test_drafts_never_appear_even_to_their_owner(self, client, db, app):
        w = await make_world(db, app)
        await client.post("/api/v1/pilot-results", json=pilot_body(), headers=w.institute_staff)
        response = await client.get(SEARCH, params={"q": "锂电池"}, headers=w.institute_staff)
        assert response.json()["items"] == []

    async def test_an_edit_is_searchable_at_once(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        await client.patch(
            f"/api/v1/pilot-results/{published['id']}",
            json={"title": "固态电解质中试成果", "title_en": None, "abstract_en": "Solid electrolyte."},
            headers=w.institute_staff,
        )
        assert await titles(client, q="固态") == ["固态电解质中试成果"]
        assert await titles(client, q="cathode") == []

    async def test_an_archived_listing_leaves_the_search(self, client, db, app):
        w = await make_world(db, app)
        published = await create_published(client, w.institute_staff, "service-offers", offer_body())
        await client.post(f"/api/v1/service-offers/{published['id']}/archive", headers=w.institute_staff)
        assert await titles(client, q="检测") == []


class TestFilters:
    async def _catalogue(self, client, db, app):
        w = await make_world(db, app)
        result = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        low_trl = await create_published(
            client,
            w.institute_staff,
            "pilot-results",
            pilot_body(
                title="钠离子电池负极材料",
                trl=4,
                transfer_modes=["assignment"],
                asking_price=None,
                fields=["new_energy"],
            ),
        )
        instrument = await create_published(client, w.institute_staff, "instruments", instrument_body())
        offer = await create_published(client, w.other_staff, "service-offers", offer_body(title="电池安全检测"))
        return w, {"result": result, "low_trl": low_trl, "instrument": instrument, "offer": offer}

    async def test_kind(self, client, db, app):
        _, made = await self._catalogue(client, db, app)
        assert await titles(client, kind="instrument") == [made["instrument"]["title"]]

    async def test_field(self, client, db, app):
        _, made = await self._catalogue(client, db, app)
        assert set(await titles(client, field="new_materials")) == {
            made["result"]["title"],
            made["instrument"]["title"],
        }

    async def test_region_prefix(self, client, db, app):
        _, made = await self._catalogue(client, db, app)
        assert await titles(client, region="110000") == [made["offer"]["title"]]
        assert len(await titles(client, region="32")) == 3

    async def test_centre_includes_its_institutes(self, client, db, app):
        w, made = await self._catalogue(client, db, app)
        assert len(await titles(client, centre_id=str(w.centre.id))) == 3
        assert await titles(client, centre_id=str(w.other_centre.id)) == [made["offer"]["title"]]

    async def test_trl_minimum_keeps_results_at_or_above_it(self, client, db, app):
        _, made = await self._catalogue(client, db, app)
        assert await titles(client, trl_min=5) == [made["result"]["title"]]
        assert len(await titles(client, trl_min=4)) == 2

    async def test_price_maximum_leaves_out_dearer_and_negotiable_listings(self, client, db, app):
        _, made = await self._catalogue(client, db, app)
        assert set(await titles(client, price_max=300000)) == {made["instrument"]["title"], made["offer"]["title"]}
        assert await titles(client, price_max=60000) == [made["instrument"]["title"]]

    async def test_transfer_mode(self, client, db, app):
        _, made = await self._catalogue(client, db, app)
        assert await titles(client, transfer_mode="assignment") == [made["low_trl"]["title"]]

    async def test_filters_combine_with_text(self, client, db, app):
        _, made = await self._catalogue(client, db, app)
        assert await titles(client, q="电池", kind="pilot_result", trl_min=5) == [made["result"]["title"]]

    async def test_a_bad_region_is_refused(self, client, db, app):
        response = await client.get(SEARCH, params={"region": "32A"})
        assert response.status_code == 422

    async def test_a_bad_sort_is_refused(self, client, db, app):
        response = await client.get(SEARCH, params={"sort": "cheapest"})
        assert response.status_code == 422


class TestSorting:
    async def test_newest_first(self, client, db, app):
        w = await make_world(db, app)
        for title in ("一号成果", "二号成果", "三号成果"):
            await create_published(client, w.institute_staff, "pilot-results", pilot_body(title=title))
        assert await titles(client, sort="newest") == ["三号成果", "二号成果", "一号成果"]

    async def test_price_ascending_with_unpriced_last(self, client, db, app):
        w = await make_world(db, app)
        await create_published(client, w.institute_staff, "pilot-results", pilot_body(title="面议", asking_price=None))
        await create_published(
            client,
            w.institute_staff,
            "pilot-results",
            pilot_body(title="贵", asking_price={"amount": 900, "currency": "CNY"}),
        )
        await create_published(
            client,
            w.institute_staff,
            "pilot-results",
            pilot_body(title="便宜", asking_price={"amount": 100, "currency": "CNY"}),
        )
        assert await titles(client, sort="price") == ["便宜", "贵", "面议"]

    async def test_relevance_puts_a_title_match_before_a_newer_text_match(self, client, db, app):
        w = await make_world(db, app)
        await create_published(
            client,
            w.institute_staff,
            "pilot-results",
            pilot_body(title="锂电池正极材料", abstract="材料工艺。", title_en="Battery cathode", abstract_en=None),
        )
        await create_published(
            client,
            w.institute_staff,
            "pilot-results",
            pilot_body(
                title="高镍前驱体",
                abstract="锂电池锂电池正极。",
                title_en=None,
                abstract_en="Lithium battery cathode, battery cells, battery packs.",
            ),
        )
        assert await titles(client, q="正极") == ["锂电池正极材料", "高镍前驱体"]
        assert await titles(client, q="battery") == ["锂电池正极材料", "高镍前驱体"]
        assert await titles(client, q="正极", sort="newest") == ["高镍前驱体", "锂电池正极材料"]


class TestPaging:
    async def _many(self, client, db, app, n=7):
        w = await make_world(db, app)
        made = []
        for i in range(n):
            body = pilot_body(
                title=f"锂电池成果{i}",
                asking_price={"amount": 1000 * (i % 3), "currency": "CNY"} if i % 4 else None,
                abstract="锂电池" * (i + 1),
            )
            made.append((await create_published(client, w.institute_staff, "pilot-results", body))["id"])
        return made

    async def _walk(self, client, **params) -> list[str]:
        seen, cursor = [], None
        for _ in range(20):
            query = {**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get(SEARCH, params=query)).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        return seen

    async def test_relevance_pages_have_no_repeats_or_gaps(self, client, db, app):
        made = await self._many(client, db, app)
        walked = await self._walk(client, q="锂电池")
        assert sorted(walked) == sorted(made)
        assert len(walked) == len(set(walked))
        full = (await client.get(SEARCH, params={"q": "锂电池", "limit": 100})).json()["items"]
        assert walked == [item["id"] for item in full]

    async def test_price_pages_have_no_repeats_or_gaps(self, client, db, app):
        made = await self._many(client, db, app)
        walked = await self._walk(client, sort="price")
        assert sorted(walked) == sorted(made)
        full = (await client.get(SEARCH, params={"sort": "price", "limit": 100})).json()["items"]
        assert walked == [item["id"] for item in full]

    async def test_newest_pages_have_no_repeats_or_gaps(self, client, db, app):
        made = await self._many(client, db, app)
        walked = await self._walk(client, sort="newest")
        assert walked == list(reversed(made))

    async def test_a_forged_cursor_is_refused(self, client, db, app):
        response = await client.get(SEARCH, params={"cursor": "not-a-cursor"})
        assert response.status_code == 422


async def test_anonymous_and_signed_in_callers_see_the_same_results(client, db, app):
    w = await make_world(db, app)
    await create_published(client, w.institute_staff, "pilot-results", pilot_body())
    sme = await create_org(db, OrganisationKind.sme)
    _, headers = await create_member(db, app, sme, Role.sme_admin)
    anonymous = (await client.get(SEARCH, params={"q": "锂电池"})).json()
    signed_in = (await client.get(SEARCH, params={"q": "锂电池"}, headers=headers)).json()
    assert anonymous == signed_in
    assert len(anonymous["items"]) == 1


class TestRelevanceTiers:
    """Relevance: listings with every query word in a title first, then the other matches; newest
    published first within each tier; cursor pages cross from one tier to the next."""

    async def _made(self, client, db, app) -> dict[str, str]:
        w = await make_world(db, app)
        made = {}
        # Published oldest first: title matches and text-only matches interleaved in time.
        for name, title, abstract in (
            ("text_old", "高镍前驱体", "用于锂电池。"),
            ("title_old", "锂电池隔膜", "隔膜工艺。"),
            ("text_mid", "电解液添加剂", "提升锂电池循环寿命。"),
            ("title_mid", "锂电池回收", "湿法冶金。"),
            ("text_new", "正极包覆", "锂电池锂电池锂电池。"),
            ("title_new", "固态锂电池", "硫化物电解质。"),
            ("other", "氢燃料电池", "质子交换膜。"),
        ):
            body = pilot_body(title=title, abstract=abstract, title_en=None, abstract_en=None, ip_assets=[])
            made[name] = (await create_published(client, w.institute_staff, "pilot-results", body))["id"]
        made["staff"] = w.institute_staff
        return made

    async def _walk(self, client, limit: int, q: str = "锂电池") -> list[dict]:
        seen, cursor = [], None
        for _ in range(30):
            query = {"q": q, "limit": limit, **({"cursor": cursor} if cursor else {})}
            response = await client.get(SEARCH, params=query)
            assert response.status_code == 200, response.text
            page = response.json()
            seen += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        return seen

    async def test_title_matches_first_then_the_rest_each_newest_first(self, client, db, app):
        made = await self._made(client, db, app)
        items = (await client.get(SEARCH, params={"q": "锂电池", "limit": 100})).json()["items"]
        expected = ["title_new", "title_mid", "title_old", "text_new", "text_mid", "text_old"]
        assert [item["id"] for item in items] == [made[name] for name in expected]
        assert [item["rank"] for item in items] == [2, 2, 2, 1, 1, 1]

    async def test_paging_crosses_the_tiers_and_reaches_every_match_once(self, client, db, app):
        made = await self._made(client, db, app)
        full = (await client.get(SEARCH, params={"q": "锂电池", "limit": 100})).json()["items"]
        for limit in (1, 2, 3, 4, 5):
            walked = await self._walk(client, limit)
            assert [item["id"] for item in walked] == [item["id"] for item in full]
        ids = [item["id"] for item in full]
        assert len(ids) == len(set(ids)) == 6 and made["other"] not in ids

    async def test_every_query_word_must_be_in_a_title_for_the_first_tier(self, client, db, app):
        made = await self._made(client, db, app)
        items = (await client.get(SEARCH, params={"q": "锂电池 隔膜"})).json()["items"]
        assert [(item["id"], item["rank"]) for item in items] == [(made["title_old"], 2)]
        items = (await client.get(SEARCH, params={"q": "锂电池 工艺"})).json()["items"]
        assert [(item["id"], item["rank"]) for item in items] == [(made["title_old"], 1)]

    async def test_an_english_prefix_in_a_title_counts(self, client, db, app):
        w = await make_world(db, app)
        in_title = await create_published(
            client, w.institute_staff, "pilot-results", pilot_body(title="正极", title_en="Battery cathode")
        )
        in_text = await create_published(
            client,
            w.institute_staff,
            "pilot-results",
            pilot_body(title="负极", title_en="Anode", abstract_en="For batteries."),
        )
        items = (await client.get(SEARCH, params={"q": "batter"})).json()["items"]
        assert [(item["id"], item["rank"]) for item in items] == [(in_title["id"], 2), (in_text["id"], 1)]

    async def test_a_stemmed_word_in_a_title_outranks_it_in_an_abstract(self, client, db, app):
        """`battery` finds `batteries` (both the stem `batteri`); a title match still comes first
        though the abstract match is newer and repeats the word."""
        w = await make_world(db, app)
        in_title = await create_published(
            client,
            w.institute_staff,
            "pilot-results",
            pilot_body(title="钠离子电池负极", title_en="Hard carbon anode for sodium-ion batteries", abstract_en=None),
        )
        in_text = await create_published(
            client,
            w.institute_staff,
            "pilot-results",
            pilot_body(title="正极", title_en="Cathode", abstract_en="Battery cells, battery packs, batteries."),
        )
        for q in ("battery", "Batteries", "BATTERIES sodium"):
            items = (await client.get(SEARCH, params={"q": q})).json()["items"]
            expected = [(in_title["id"], 2), (in_text["id"], 1)] if "sodium" not in q else [(in_title["id"], 2)]
            assert [(item["id"], item["rank"]) for item in items] == expected, q

    async def test_a_retitled_listing_changes_tier_and_a_republished_one_comes_first(self, client, db, app):
        made = await self._made(client, db, app)
        staff = made["staff"]
        await client.patch(f"/api/v1/pilot-results/{made['text_old']}", json={"title": "锂电池前驱体"}, headers=staff)
        items = (await client.get(SEARCH, params={"q": "锂电池", "limit": 100})).json()["items"]
        assert [item["id"] for item in items][:4] == [
            made[n] for n in ("title_new", "title_mid", "title_old", "text_old")
        ]
        await client.post(f"/api/v1/pilot-results/{made['title_old']}/archive", headers=staff)
        assert (
            await client.post(f"/api/v1/pilot-results/{made['title_old']}/publish", headers=staff)
        ).status_code == 200
        items = (await client.get(SEARCH, params={"q": "锂电池", "limit": 100})).json()["items"]
        assert items[0]["id"] == made["title_old"]

    async def test_a_cursor_with_values_of_the_wrong_type_is_refused(self, client, db, app):
        for values in (["x", 1], [3, 5], [2, "5"], [True, 5], [2, 5, 6]):
            forged = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
            response = await client.get(SEARCH, params={"q": "锂电池", "cursor": forged})
            assert response.status_code == 422, values
            assert response.json()["errors"][0]["loc"] == ["query", "cursor"]


class TestTheQueryStringIsParsedByTheRoute:
    """search_catalogue parses its query string itself (api/deps.py QueryModel): FastAPI's rules for a
    query model (last value wins, unknown parameters ignored, the same 422) and FastAPI's document."""

    async def test_documented_as_fastapi_documents_the_query_model(self, client):
        probe = FastAPI()

        @probe.get("/s", operation_id="probe")
        async def declared(params: Annotated[SearchParams, Query()]) -> None:
            """FastAPI's own solving and documentation of the model."""

        expected = probe.openapi()
        document = (await client.get("/openapi.json")).json()
        parameters = document["paths"][SEARCH]["get"]["parameters"]
        assert parameters == expected["paths"]["/s"]["get"]["parameters"]
        assert [p["name"] for p in parameters] == list(SearchParams.model_fields)
        for name in expected["components"]["schemas"]:
            if name not in ("HTTPValidationError", "ValidationError"):
                assert name in document["components"]["schemas"], name

    async def test_errors_as_fastapi_reports_them(self, client, db, app):
        response = await client.get(SEARCH, params={"trl_min": "ten", "limit": "0", "sort": "cheapest"})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["type"] == "urn:ttm:problem:validation"
        assert [(e["loc"], e["type"]) for e in body["errors"]] == [
            (["query", "trl_min"], "int_parsing"),
            (["query", "sort"], "literal_error"),
            (["query", "limit"], "greater_than_equal"),
        ]

    async def test_the_last_value_wins_and_unknown_parameters_are_ignored(self, client, db, app):
        _, made = await TestFilters()._catalogue(client, db, app)
        found = await titles(client, kind=["service_offer", "pilot_result"], trl_min=5, colour="blue")
        assert found == [made["result"]["title"]]
