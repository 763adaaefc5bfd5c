"""Attachments: stored on disk, type sniffed from content, size limited, served with their type."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest

from api.main import create_app
from tests.factories.catalogue import create_published, instrument_body, make_world, pilot_body

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture
def storage(tmp_path):
    return tmp_path / "attachments"


@pytest.fixture
def app(settings, db, storage):
    return create_app(
        settings.model_copy(update={"attachments_dir": storage, "attachment_max_bytes": 4096}), database=db
    )


@pytest.fixture
async def client(app):
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def url(listing) -> str:
    return f"/api/v1/catalogue/listings/{listing['id']}/attachments"


async def upload(client, listing, headers, name="datasheet.pdf", data=PDF, content_type="application/pdf"):
    return await client.post(url(listing), files={"file": (name, data, content_type)}, headers=headers)


class TestUpload:
    async def test_the_owner_attaches_a_pdf(self, client, db, app, storage):
        w = await make_world(db, app)
        listing = await create_published(client, w.institute_staff, "instruments", instrument_body())
        response = await upload(client, listing, w.institute_staff, name="SU8010 参数表.pdf")
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["content_type"] == "application/pdf"
        assert body["filename"] == "SU8010 参数表.pdf"
        assert body["size_bytes"] == len(PDF)
        assert len(list(storage.rglob("*"))) == 2  # the listing's folder and the file

    async def test_the_type_comes_from_the_content_not_the_client(self, client, db, app):
        w = await make_world(db, app)
        listing = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        response = await upload(client, listing, w.institute_staff, name="photo.pdf", data=PNG)
        assert response.json()["content_type"] == "image/png"

    async def test_an_office_document_is_recognised(self, client, db, app):
        w = await make_world(db, app)
        listing = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("xl/workbook.xml", "<workbook/>")
        response = await upload(client, listing, w.institute_staff, name="metrics.xlsx", data=buffer.getvalue())
        assert response.json()["content_type"].endswith("spreadsheetml.sheet")

    async def test_an_executable_is_refused(self, client, db, app):
        w = await make_world(db, app)
        listing = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        response = await upload(client, listing, w.institute_staff, name="x.pdf", data=b"MZ\x90\x00\x03\x00\x00\x00")
        assert response.status_code == 422
        assert response.json()["type"] == "urn:ttm:problem:unsupported-attachment-type"

    async def test_a_file_over_the_limit_is_refused(self, client, db, app, storage):
        w = await make_world(db, app)
        listing = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        response = await upload(client, listing, w.institute_staff, data=PDF + b"0" * 5000)
        assert response.status_code == 413
        assert not storage.exists() or not any(p.is_file() for p in storage.rglob("*"))

    async def test_the_attachment_route_takes_bodies_larger_than_json_routes(self, client, db, app, settings):
        w = await make_world(db, app)
        listing = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        big = await client.post(
            "/api/v1/pilot-results",
            content=b"{" + b" " * (settings.max_body_bytes + 10) + b"}",
            headers=w.institute_staff,
        )
        assert big.status_code == 413
        response = await upload(client, listing, w.institute_staff, data=PDF + b"0" * 3000)
        assert response.status_code == 201

    async def test_others_cannot_attach(self, client, db, app):
        w = await make_world(db, app)
        listing = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        assert (await upload(client, listing, w.other_staff)).status_code == 403
        assert (await upload(client, listing, w.sme_member)).status_code == 403


class TestDownload:
    async def test_anyone_downloads_an_attachment_of_a_published_listing(self, client, db, app):
        w = await make_world(db, app)
        listing = await create_published(client, w.institute_staff, "instruments", instrument_body())
        attachment = (await upload(client, listing, w.institute_staff, name="图.png", data=PNG)).json()
        response = await client.get(f"/api/v1/catalogue/attachments/{attachment['id']}")
        assert response.status_code == 200
        assert response.content == PNG
        assert response.headers["content-type"] == "image/png"
        assert response.headers["x-content-type-options"] == "nosniff"
        listed = (await client.get(url(listing))).json()
        assert [a["id"] for a in listed] == [attachment["id"]]

    async def test_attachments_of_a_draft_are_404_to_others(self, client, db, app):
        w = await make_world(db, app)
        draft = (await client.post("/api/v1/pilot-results", json=pilot_body(), headers=w.institute_staff)).json()
        attachment = (await upload(client, draft, w.institute_staff)).json()
        assert (await client.get(f"/api/v1/catalogue/attachments/{attachment['id']}")).status_code == 404
        assert (await client.get(url(draft), headers=w.sme_member)).status_code == 404
        owner_view = await client.get(f"/api/v1/catalogue/attachments/{attachment['id']}", headers=w.institute_staff)
        assert owner_view.status_code == 200


class TestDelete:
    async def test_the_owner_deletes_an_attachment_and_its_file(self, client, db, app, storage):
        w = await make_world(db, app)
        listing = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        attachment = (await upload(client, listing, w.institute_staff)).json()
        response = await client.delete(f"/api/v1/catalogue/attachments/{attachment['id']}", headers=w.institute_staff)
        assert response.status_code == 204
        assert (await client.get(f"/api/v1/catalogue/attachments/{attachment['id']}")).status_code == 404
        assert not any(p.is_file() for p in storage.rglob("*"))

    async def test_others_cannot_delete(self, client, db, app):
        w = await make_world(db, app)
        listing = await create_published(client, w.institute_staff, "pilot-results", pilot_body())
        attachment = (await upload(client, listing, w.institute_staff)).json()
        response = await client.delete(f"/api/v1/catalogue/attachments/{attachment['id']}", headers=w.other_staff)
        assert response.status_code == 403
