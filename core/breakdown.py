"""How the *interesting* category breaks down: which of SMACT's switches would admit each compound.

Interesting compositions are known but forbidden. The paper discusses why (metallic alloys and
intermetallics, mixed valence such as Fe3O4, electronegativity); this counts it, exactly, by
explaining each one under the rule with one switch turned on (alloys, mixed valence) or off (Pauling).
The compositions are few (about 10^4 for Materials Project), so the per-composition
:func:`chemspace.core.explain.explain_many` is fast enough and is the one verdict used everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chemspace.core.composition import Composition
from chemspace.core.explain import explain_many
from chemspace.core.rule import Rule


@dataclass(frozen=True)
class InterestingBreakdown:
    """Of the known compositions forbidden under a rule, how many each switch would admit."""

    interesting: int  # known and forbidden under the rule
    alloys: int  # allowed once metals-only compositions count as alloys
    mixed_valence: int  # allowed once mixed-valence elements may mix states
    no_pauling: int  # allowed once the Pauling test is dropped (charge-neutral)
    any_switch: int  # allowed with all three switches together

    def to_json(self) -> dict[str, int]:
        """JSON object with the five counts."""
        return {
            "interesting": self.interesting,
            "alloys": self.alloys,
            "mixed_valence": self.mixed_valence,
            "no_pauling": self.no_pauling,
            "any_switch": self.any_switch,
        }

    def text(self) -> str:
        """'503 interesting: alloys would admit 41, mixed valence 60, dropping Pauling 282 (any: 350)'."""
        return (
            f"{self.interesting:,} interesting: alloys would admit {self.alloys:,}, mixed valence "
            f"{self.mixed_valence:,}, dropping Pauling {self.no_pauling:,} (all three: {self.any_switch:,})"
        )


def interesting_breakdown(known: Sequence[Composition], rule: Rule) -> InterestingBreakdown:
    """Count, among ``known`` compositions forbidden under ``rule``, those each switch would admit."""
    interesting = [e.composition for e in explain_many(known, rule, list_mixed=False) if not e.allowed]

    def admitted(variant: Rule) -> int:
        if variant == rule:
            return 0
        return sum(e.allowed for e in explain_many(interesting, variant, list_mixed=False))

    return InterestingBreakdown(
        interesting=len(interesting),
        alloys=admitted(rule.with_switches(alloys=True)),
        mixed_valence=admitted(rule.with_switches(mixed_valence=True)),
        no_pauling=admitted(rule.with_switches(pauling=False)),
        any_switch=admitted(rule.with_switches(alloys=True, mixed_valence=True, pauling=False)),
    )
