"""The canonical contract document: printable HTML rendered deterministically from a version's data.

`canonical(body)` is a pure function of the version body (sorted, fixed formatting, no rendering
timestamps); the SHA-256 of its UTF-8 bytes is what every party signs. The printable document
served to users is the canonical one with the recorded signatures written between the two
`signature-record` comments, which are adjacent in the canonical form: remove what lies between
them and you have the signed bytes again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from html import escape
from typing import Any

from services.money import format_bps, format_money

RECORD_OPEN = "<!--signature-record-->"
RECORD_CLOSE = "<!--/signature-record-->"
_RECORD = re.compile(re.escape(RECORD_OPEN) + ".*?" + re.escape(RECORD_CLOSE), re.S)

TYPE_NAMES = {
    "development": "技术开发合同 / Technology development contract",
    "transfer": "技术转让合同 / Technology transfer contract",
    "licence": "技术许可合同 / Technology licence contract",
    "consulting": "技术咨询合同 / Technology consulting contract",
    "service": "技术服务合同 / Technology service contract",
}
ROLE_NAMES = {"provider": "提供方 / Provider", "client": "委托方 / Client", "co_builder": "共建单位 / Co-builder"}
LICENCE_NAMES = {
    "exclusive": "独占许可 / exclusive",
    "sole": "排他许可 / sole",
    "non_exclusive": "普通许可 / non-exclusive",
}
IP_BASES = {
    "agreement": "本合同约定 / agreed in this contract",
    "commissioned_development": "《民法典》第八百五十九条：委托开发完成的发明创造，除另有约定外，"
    "申请专利的权利属于研究开发人 "
    "/ Civil Code art. 859: commissioned development, to the developer unless agreed otherwise",
    "cooperative_development": "《民法典》第八百六十条：合作开发完成的发明创造，申请专利的权利属于合作开发的当事人共有 "
    "/ Civil Code art. 860: cooperative development, owned jointly by the parties who develop",
    "services_and_consulting": "《民法典》第八百八十五条：受托人完成的新的技术成果属于受托人，委托人完成的属于委托人 "
    "/ Civil Code art. 885: each party owns what it creates",
    "transfer_grant": "《民法典》第八百六十二条：技术转让，受让人取得所转让的权利 "
    "/ Civil Code art. 862: transfer, the transferee acquires the rights",
    "licence_grant": "《民法典》第八百六十二条：技术许可，许可人保留权利，被许可人依约实施 "
    "/ Civil Code art. 862: licence, the licensor keeps the rights and the licensee uses them",
}
REVENUE_BASES = {
    "agreement": "本合同约定 / agreed in this contract",
    "provider_default": "未约定，全部归提供方 / not agreed: all income to the provider",
}
REWARD_SOURCES = {
    "agreement": "本合同约定 / agreed in this contract",
    "centre_policy": "中心制度 / the centre's policy",
    "statutory_default": "《促进科技成果转化法》第四十五条 / article 45 of the Law on Promoting the Transformation "
    "of Scientific and Technological Achievements",
}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _e(value: Any) -> str:
    return "—" if value is None or value == "" else escape(str(value))


# An advance's line in the milestones table (absent from milestones billed on acceptance, so their
# text, and every version signed before advances existed, renders as it always did).
ADVANCE = "（预付款：合同生效时应付 / advance: owed when the contract comes into force）"


def _row(label: str, value: str) -> str:
    return f"<tr><th>{label}</th><td>{value}</td></tr>\n"


def _names(body: dict[str, Any]) -> dict[str, str]:
    return {p["organisation_id"]: p["name"] for p in body["parties"]}


def _shares(title: str, shares: list[dict[str, Any]], names: dict[str, str]) -> str:
    rows = "".join(
        f"<tr><td>{_e(names.get(s['organisation_id'], s['organisation_id']))}</td>"
        f"<td>{format_bps(s['bps'])}</td></tr>\n"
        for s in shares
    )
    return f"<h3>{title}</h3>\n<table>\n<tr><th>当事人 / Party</th><th>份额 / Share</th></tr>\n{rows}</table>\n"


def _basis(bases: dict[str, str], basis: str | None) -> str:
    """The line saying why the shares above are as they are (absent on bodies drafted before it was recorded)."""
    return f"<p>依据 / Basis: {bases[basis]}</p>\n" if basis else ""


def _ip_terms(terms: dict[str, Any], names: dict[str, str]) -> str:
    out = ["<h2>知识产权条款 / IP terms</h2>\n"]
    out.append("<h3>背景知识产权 / Background IP</h3>\n<ul>\n")
    for b in terms.get("background_ip", []):
        patents = ", ".join(escape(n) for n in b["patent_numbers"]) or "—"
        out.append(
            f"<li>{_e(names.get(b['organisation_id']))}: 成果 / result {_e(b['pilot_result_id'])}; "
            f"专利 / patents {patents}; {_e(b['description'])}</li>\n"
        )
    out.append("</ul>\n")
    out.append(_shares("新产生知识产权归属 / Ownership of new IP", terms.get("new_ip_ownership", []), names))
    out.append(_basis(IP_BASES, terms.get("new_ip_ownership_basis")))
    out.append("<h3>许可 / Licence grants</h3>\n<table>\n")
    out.append(
        "<tr><th>被许可方 / Licensee</th><th>方式 / Kind</th><th>成果 / Result</th><th>领域 / Field of use</th>"
        "<th>地域 / Territory</th><th>期限 / Term</th><th>可分许可 / Sublicensable</th></tr>\n"
    )
    for g in terms.get("licences", []):
        term = f"{_e(g['starts_on'])} – {_e(g['ends_on'])}"
        out.append(
            f"<tr><td>{_e(names.get(g['licensee_org_id']))}</td><td>{LICENCE_NAMES[g['kind']]}</td>"
            f"<td>{_e(g['pilot_result_id'])}</td><td>{_e(g['field_of_use'])}</td><td>{_e(g['territory'])}</td>"
            f"<td>{term}</td><td>{'是 / yes' if g['sublicensable'] else '否 / no'}</td></tr>\n"
        )
    out.append("</table>\n")
    out.append(_shares("收益分配 / Revenue shares", terms.get("revenue_shares", []), names))
    out.append(_basis(REVENUE_BASES, terms.get("revenue_shares_basis")))
    out.append("<h3>科研团队奖励 / Research team reward</h3>\n")
    out.append(
        f"<p>{format_bps(terms['team_reward_bps'])} 净转让或许可收入 / of net transfer or licence income "
        f"({REWARD_SOURCES[terms['team_reward_source']]})</p>\n"
    )
    out.append(f"<h3>发表权 / Publication rights</h3>\n<p>{_e(terms.get('publication_rights'))}</p>\n")
    return "".join(out)


def canonical(body: dict[str, Any]) -> str:
    """The canonical HTML of one version (the bytes whose SHA-256 the parties sign)."""
    names = _names(body)
    currency = body["value"]["currency"]
    out = [
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n',
        f"<title>{_e(body['title'])}</title>\n</head>\n<body>\n",
        f"<h1>合同 / Contract: {_e(body['title'])}</h1>\n<table>\n",
        _row("合同编号 / Contract id", _e(body["contract_id"])),
        _row("版本 / Version", str(body["version"])),
        _row("合同类型 / Type", TYPE_NAMES[body["contract_type"]]),
        _row("合同金额 / Value", format_money(body["value"]["amount"], currency)),
        _row("其中技术性收入 / Technology portion", format_money(body["technology_amount"], currency)),
        _row("起始日期 / Start date", _e(body["start_date"])),
        _row("终止日期 / End date", _e(body["end_date"])),
        _row("保密期限（月）/ Confidentiality (months)", _e(body["confidentiality_months"])),
        _row("中试成果 / Pilot-scale result", _e(body["pilot_result_id"])),
        "</table>\n",
    ]
    if body.get("reason"):
        out.append(f"<h2>变更原因 / Reason for the amendment</h2>\n<p>{_e(body['reason'])}</p>\n")
    out.append("<h2>当事人 / Parties</h2>\n<table>\n")
    out.append("<tr><th>角色 / Role</th><th>名称 / Name</th><th>统一社会信用代码 / USCC</th></tr>\n")
    for p in body["parties"]:
        out.append(f"<tr><td>{ROLE_NAMES[p['role']]}</td><td>{_e(p['name'])}</td><td>{_e(p['uscc'])}</td></tr>\n")
    out.append("</table>\n")
    out.append(f"<h2>标的与范围 / Scope</h2>\n<p>{_e(body['scope'])}</p>\n")
    out.append(_ip_terms(body["ip_terms"], names))
    out.append("<h2>里程碑 / Milestones</h2>\n<table>\n")
    out.append(
        "<tr><th>#</th><th>名称 / Title</th><th>金额 / Amount</th><th>期限（天）/ Due (days after start)</th></tr>\n"
    )
    for m in body["milestones"]:
        advance = ADVANCE if m.get("billed_on") == "activation" else ""
        out.append(
            f"<tr><td>{m['seq']}</td><td>{_e(m['title'])}{advance}</td>"
            f"<td>{format_money(m['amount'], m['currency'])}</td><td>{_e(m['due_offset_days'])}</td></tr>\n"
        )
    out.append("</table>\n")
    out.append("<h2>签署 / Signatures</h2>\n<table>\n")
    for p in body["parties"]:
        out.append(
            f"<tr><td>{_e(p['name'])}</td><td>授权代表签字 / Authorised signatory: ____________</td>"
            "<td>日期 / Date: ____________</td></tr>\n"
        )
    out.append(f"</table>\n{RECORD_OPEN}{RECORD_CLOSE}\n</body>\n</html>\n")
    return "".join(out)


def printable(body: dict[str, Any], signatures: Iterable[dict[str, str]]) -> str:
    """The canonical document with the recorded electronic signatures (party, signer, time, hash)."""
    rows = "".join(
        f"<tr><td>{_e(s['party'])}</td><td>{_e(s['signer'])}</td><td>{_e(s['signed_at'])}</td>"
        f"<td><code>{_e(s['document_sha256'])}</code></td></tr>\n"
        for s in signatures
    )
    record = (
        "\n<h3>电子签署记录 / Electronic signatures</h3>\n<table>\n"
        "<tr><th>当事人 / Party</th><th>签署人 / Signed by</th><th>时间 / Signed at (UTC)</th>"
        f"<th>文件 SHA-256 / Document SHA-256</th></tr>\n{rows}</table>\n"
        if rows
        else ""
    )
    return canonical(body).replace(RECORD_OPEN + RECORD_CLOSE, RECORD_OPEN + record + RECORD_CLOSE)


def strip_record(document: str) -> str:
    """The canonical form of a printable document (the signature record removed)."""
    return _RECORD.sub(RECORD_OPEN + RECORD_CLOSE, document)
