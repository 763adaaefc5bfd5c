"""Pure catalogue rules: patent numbers, customer tiers, membership discounts, segmentation."""

from __future__ import annotations

import uuid

import pytest

from models.codes import patent_check_digit, patent_number_problem
from models.enums import CustomerTier, MembershipTier, OrganisationKind, RateUnit
from models.instruments import Instrument, InstrumentMembershipDiscount, InstrumentRate
from models.organisations import Organisation
from services import segmentation
from services.instruments import customer_tier, unit_price
from services.search import region_prefix


class TestPatentNumbers:
    @pytest.mark.parametrize("number", ["ZL202310123456.6", "CN202310123456.6", "CN201510040591.X"])
    def test_valid_numbers(self, number):
        assert patent_number_problem(number) is None

    def test_the_check_digit_follows_the_cnipa_weights(self):
        # 2*2+0*3+2*4+3*5+1*6+0*7+1*8+2*9+3*2+4*3+5*4+6*5 = 127; 127 mod 11 = 6
        assert patent_check_digit("202310123456") == "6"

    def test_ten_is_written_x(self):
        assert patent_check_digit("201510040591") == "X"

    def test_a_pre_2003_number_uses_eight_digits(self):
        assert patent_number_problem("CN98123456." + patent_check_digit("98123456")) is None

    @pytest.mark.parametrize(
        "number",
        ["CN202310123456.7", "US202310123456.6", "ZL20231012345.6", "ZL202310123456", "ZL202340123456.6", "ZL1"],
    )
    def test_invalid_numbers(self, number):
        assert patent_number_problem(number) is not None


def org(kind: OrganisationKind, parent_id=None) -> Organisation:
    return Organisation(id=uuid.uuid4(), kind=kind, parent_id=parent_id)


class TestCustomerTier:
    def test_the_centre_and_its_institutes_are_internal(self):
        centre = org(OrganisationKind.centre)
        assert customer_tier(centre, centre.id) is CustomerTier.internal
        assert customer_tier(org(OrganisationKind.institute, centre.id), centre.id) is CustomerTier.internal

    def test_another_centres_institute_is_commercial(self):
        assert customer_tier(org(OrganisationKind.institute, uuid.uuid4()), uuid.uuid4()) is CustomerTier.commercial

    def test_co_builders_are_academic_and_smes_sme(self):
        assert customer_tier(org(OrganisationKind.co_builder), uuid.uuid4()) is CustomerTier.academic
        assert customer_tier(org(OrganisationKind.sme), uuid.uuid4()) is CustomerTier.sme

    def test_government_is_commercial(self):
        assert customer_tier(org(OrganisationKind.government), uuid.uuid4()) is CustomerTier.commercial


class TestUnitPrice:
    def instrument(self) -> Instrument:
        return Instrument(
            rates=[
                InstrumentRate(tier=CustomerTier.sme, unit=RateUnit.hour, amount=60001, currency="CNY"),
                InstrumentRate(tier=CustomerTier.commercial, unit=RateUnit.hour, amount=80000, currency="CNY"),
            ],
            discounts=[InstrumentMembershipDiscount(tier=MembershipTier.gold, discount_bps=2500)],
        )

    def test_a_gold_member_gets_the_discount_rounded_half_up(self):
        # 60001 * 25% = 15000.25 -> 15000 off
        assert unit_price(self.instrument(), CustomerTier.sme, RateUnit.hour, MembershipTier.gold) == (
            45001,
            "CNY",
            2500,
        )

    def test_a_tier_without_a_discount_pays_the_rate(self):
        assert unit_price(self.instrument(), CustomerTier.sme, RateUnit.hour, MembershipTier.silver) == (
            60001,
            "CNY",
            0,
        )

    def test_memberships_do_not_discount_other_tiers(self):
        result = unit_price(self.instrument(), CustomerTier.commercial, RateUnit.hour, MembershipTier.gold)
        assert result == (80000, "CNY", 0)

    def test_no_rate_no_price(self):
        assert unit_price(self.instrument(), CustomerTier.sme, RateUnit.sample) is None


class TestSegmentation:
    def test_index_and_query_agree_on_chinese_words(self):
        indexed = segmentation.index_tokens("高能量密度锂电池正极材料中试成果").split()
        assert "锂电池" in indexed and "电池" in indexed
        assert segmentation.query_tokens("锂电池") == ["锂电池"]

    def test_latin_is_lower_cased_and_punctuation_dropped(self):
        assert segmentation.query_tokens("Lithium-Ion BATTERY!") == ["lithium", "ion", "batteri"]  # stems

    def test_english_tokens_are_stemmed_on_both_sides_and_chinese_kept(self):
        assert segmentation.query_tokens("Batteries battery microscopes") == ["batteri", "microscop"]
        assert segmentation.index_tokens("Electron microscope for sodium-ion batteries 锂电池").split() == [
            "electron",
            "microscop",
            "for",
            "sodium",
            "ion",
            "batteri",
            "锂电",
            "电池",
            "锂电池",
            # then every prefix of 2 letters up to one shorter than each English stem, each once
            *("el", "ele", "elec", "elect", "electr", "electro"),
            *("mi", "mic", "micr", "micro", "micros", "microsc", "microsco"),
            "fo",
            *("so", "sod", "sodi", "sodiu"),
            "io",
            *("ba", "bat", "batt", "batte", "batter"),
        ]

    def test_prefixes_are_indexed_from_two_letters_to_the_cap(self):
        long = "a" * 30
        assert segmentation.prefixes(["ab", "x", "锂电池", long]) == [long[:n] for n in range(2, 25)]
        assert segmentation.prefixes(["abcd", "abce"]) == ["ab", "abc"]  # each once
        assert segmentation.prefixes(["abc", "abd", "ab"]) == []  # never a token the text already has
        indexed = segmentation.index_tokens("Sodium-ion batteries").split()
        assert indexed + segmentation.prefixes(indexed) == indexed  # a second pass adds nothing
        assert segmentation.needs_prefix_match(long) and not segmentation.needs_prefix_match(long[:24])
        assert not segmentation.needs_prefix_match("锂电池" * 10)

    def test_a_typed_prefix_is_stemmed_too(self):
        # The query's stem is matched as a prefix (services/search.py): what was typed stays a
        # prefix of the stored stems unless Snowball shortens it.
        assert segmentation.query_tokens("batter lithiu") == ["batter", "lithiu"]
        assert segmentation.query_tokens("generating") == ["generat"]

    def test_region_prefix(self):
        assert (region_prefix("320000"), region_prefix("320500"), region_prefix("320583")) == ("32", "3205", "320583")
