"""The organisations of the synthetic state: regions, agencies and academies.

Part of `bench/synthetic.py`. Everything here is small (at most a few thousand
agencies even at scale 100) and is kept in memory for the whole run; officers
are not (see `bench/synthetic_career.py`).
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from eventsourcing.domain import Aggregate

from registry.domain.agency import Academy, Agency
from registry.domain.dates import add_years
from registry.domain.policy import Policy
from registry.domain.values import Actor, ActorRole, Credential

#: Utah's 11 mental-health catchment areas, each with a regional coordinator.
REGIONS = (
    "Bear River",
    "Weber",
    "Davis",
    "Salt Lake",
    "Tooele",
    "Summit",
    "Wasatch",
    "Utah County",
    "Central",
    "Southwest",
    "Northeastern",
)

#: How likely an agency of each tier is to be in each region (urban ones along the Wasatch Front).
REGION_WEIGHTS = {
    "urban": (2, 10, 12, 40, 1, 1, 1, 25, 1, 6, 1),
    "suburban": (5, 10, 12, 30, 3, 3, 2, 20, 3, 8, 4),
    "rural": (10, 8, 6, 8, 8, 8, 8, 10, 12, 12, 10),
}

#: Where each region's officers go to the academy (before the Uintah Basin academy
#: was certified, its region's officers went to Salt Lake).
ACADEMIES = (
    # code, name, regions served, state-certified from (days after the epoch, None: never)
    ("SLC-CIT", "Salt Lake Area CIT Academy", ("Salt Lake", "Tooele", "Summit"), 0),
    ("NORTH-CIT", "Northern Utah CIT Academy", ("Bear River", "Weber", "Davis"), 0),
    ("UTCO-CIT", "Utah County CIT Academy", ("Utah County", "Wasatch", "Central"), 0),
    ("SW-CIT", "Southwest Utah CIT Academy", ("Southwest",), 0),
    ("UB-CIT", "Uintah Basin CIT Academy", ("Northeastern",), 800),
    ("INHOUSE", "Agency in-house crisis courses (not state-certified)", (), None),
)
#: The academy that serves a region whose own academy is not (yet) certified.
FALLBACK_ACADEMY = "SLC-CIT"
IN_HOUSE_ACADEMY = "INHOUSE"

TOWNS = (
    "Salt Lake City", "West Valley City", "Provo", "West Jordan", "Orem", "Sandy", "Ogden",
    "St. George", "Layton", "South Jordan", "Lehi", "Millcreek", "Taylorsville", "Logan",
    "Murray", "Draper", "Bountiful", "Riverton", "Herriman", "Spanish Fork", "Roy",
    "Pleasant Grove", "Kearns", "Tooele", "Cottonwood Heights", "Midvale", "Springville",
    "Eagle Mountain", "Cedar City", "Kaysville", "Clearfield", "Holladay", "American Fork",
    "Syracuse", "Saratoga Springs", "Magna", "Washington", "South Salt Lake", "Farmington",
    "Clinton", "North Salt Lake", "Payson", "North Ogden", "Brigham City", "Highland",
    "Centerville", "Hurricane", "South Ogden", "Heber City", "West Haven", "Bluffdale",
    "Santaquin", "Smithfield", "Woods Cross", "Grantsville", "Lindon", "North Logan",
    "West Point", "Vernal", "Alpine", "Cedar Hills", "Pleasant View", "Mapleton",
    "Stansbury Park", "Washington Terrace", "Riverdale", "Hooper", "Tremonton", "Ivins",
    "Park City", "Price", "Hyrum", "Summit Park", "Santa Clara", "Providence", "South Weber",
    "Vineyard", "Ephraim", "Roosevelt", "Farr West", "Plain City", "Nibley", "Enoch",
    "Harrisville", "Snyderville", "Richfield", "Salem", "Nephi", "Morgan", "Moab",
    "Perry", "Kanab", "Hildale", "Blanding", "Delta", "Fillmore", "Beaver", "Monticello",
    "Manti", "Gunnison", "Duchesne", "Panguitch", "Helper", "Wellington", "Castle Dale",
    "Huntington", "Green River", "Loa", "Junction", "Randolph", "Coalville", "Kamas",
)  # fmt: skip

COUNTIES = (
    "Box Elder", "Cache", "Rich", "Weber", "Morgan", "Davis", "Salt Lake", "Tooele",
    "Summit", "Wasatch", "Utah", "Juab", "Millard", "Sanpete", "Sevier", "Piute", "Wayne",
    "Iron", "Beaver", "Washington", "Kane", "Garfield", "Uintah", "Duchesne", "Daggett",
    "Carbon", "Emery", "Grand", "San Juan",
)  # fmt: skip

DISTRICTS = (
    "Central", "North", "South", "East", "West", "Downtown", "Foothill", "Westside",
    "Canyon", "Lakeside", "Riverside", "Airport", "Eastbench", "Southwest", "Northwest",
    "Midtown",
)  # fmt: skip
SHIFTS = ("day", "swing", "night")

#: (share of agencies, officer weight range, number of districts range, CIT volunteer rate)
TIERS = {
    "urban": (0.03, (60.0, 120.0), (8, 12), 0.32),
    "suburban": (0.20, (10.0, 30.0), (4, 7), 0.36),
    "rural": (0.77, (1.0, 5.0), (2, 3), 0.45),
}

STATE_CLERK = Actor("dsamh-clerk-1", ActorRole.STATE)


@dataclass
class AgencyPlan:
    """An agency and what the generator needs to know to place officers in it."""

    code: str
    tier: str
    region: str
    in_house: bool
    aggregate: Agency
    #: Districts and the day from which officers may be assigned to each.
    districts: list[tuple[str, date]]
    actor: Actor = field(init=False)

    def __post_init__(self) -> None:
        self.actor = Actor(f"records-{self.code.lower()}", ActorRole.AGENCY, self.code)

    @property
    def volunteer_rate(self) -> float:
        return TIERS[self.tier][3]

    def districts_on(self, day: date) -> list[str]:
        return [name for name, since in self.districts if since <= day]


@dataclass
class AcademyPlan:
    code: str
    regions: tuple[str, ...]
    aggregate: Academy

    def certified_on(self, day: date) -> bool:
        return self.aggregate.is_state_certified_on(day)

    def instructor(self, rng: random.Random) -> Actor:
        return Actor(
            f"instructor-{self.code.lower()}-{rng.randint(1, 6)}", ActorRole.ACADEMY, self.code
        )


@dataclass
class World:
    """Agencies, academies and the numbering schemes of one synthetic state."""

    seed: int
    today: date
    epoch: date
    policy: Policy
    agencies: list[AgencyPlan]
    academies: dict[str, AcademyPlan]
    _cumulative: list[float] = field(default_factory=list, repr=False)
    _serial_offset: int = 0

    def __post_init__(self) -> None:
        weights = _weights(self.agencies, random.Random(f"{self.seed}:weights"))
        self._cumulative = []
        total = 0.0
        for weight in weights:
            total += weight
            self._cumulative.append(total)
        self._serial_offset = random.Random(f"{self.seed}:serials").randrange(SERIAL_SPACE)

    def aggregates(self) -> list[Aggregate]:
        return [p.aggregate for p in self.agencies] + [a.aggregate for a in self.academies.values()]

    def pick_agency(self, rng: random.Random, other_than: AgencyPlan | None = None) -> AgencyPlan:
        """An agency chosen in proportion to its size."""
        for _ in range(20):
            plan = self.agencies[
                bisect.bisect_left(self._cumulative, rng.random() * self._cumulative[-1])
            ]
            if plan is not other_than:
                return plan
        return next(p for p in self.agencies if p is not other_than)

    def academy_for(self, region: str, day: date) -> AcademyPlan:
        """The state-certified academy serving `region` on `day`."""
        for plan in self.academies.values():
            if region in plan.regions and plan.certified_on(day):
                return plan
        return self.academies[FALLBACK_ACADEMY]

    def certificate_number(self, credential: Credential, officer: int, nth: int) -> str:
        """A unique, random-looking number like the registry's own (UT-CIT-34A3XJM9).

        Officer `officer`'s `nth` certificate: a bijection of (officer, nth) onto the
        serial space, so numbers never collide and need no memory to stay unique.
        """
        if not 0 <= nth < CERTIFICATES_PER_OFFICER:
            raise ValueError(f"officer {officer} would get more than 8 certificates")
        x = (officer * CERTIFICATES_PER_OFFICER + nth) * SERIAL_MULTIPLIER + self._serial_offset
        x %= SERIAL_SPACE
        serial = ""
        for _ in range(8):
            x, digit = divmod(x, len(SERIAL_ALPHABET))
            serial = SERIAL_ALPHABET[digit] + serial
        prefix = {"cit_officer": "CIT", "cit_telecommunicator": "CITT", "cit_youth": "CITY"}
        return f"{self.policy.state}-{prefix[credential.value]}-{serial}"

    def post_number(self, officer: int) -> str:
        return post_number(self.policy, officer)


def post_number(policy: Policy, officer: int) -> str:
    """The POST number of the `officer`-th synthetic officer (sequential, as POST issues them)."""
    return f"{policy.state}-{100_001 + officer}"


#: The registry's alphabet for certificate serials (no 0, 1, I, L, O, U).
SERIAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
SERIAL_SPACE = len(SERIAL_ALPHABET) ** 8
#: Coprime with 30, so multiplying by it permutes the serial space.
SERIAL_MULTIPLIER = 1_000_000_007
CERTIFICATES_PER_OFFICER = 8


def _weights(agencies: list[AgencyPlan], rng: random.Random) -> list[float]:
    return [rng.uniform(*TIERS[plan.tier][1]) for plan in agencies]


#: When the registry's users record what happened: in office hours, local time.
OFFICE_OPENS = time(8)
OFFICE_SECONDS = 9 * 3600


class Stamper:
    """Stamps one record's events with the moments they were recorded: a time in office
    hours on the day each was taken down (never before the day it takes effect), always
    after the record's event before it, as the registry's clock would have stamped them."""

    def __init__(self, rng: random.Random, zone: tzinfo) -> None:
        self.rng = rng
        self.zone = zone
        self.last: datetime | None = None

    def stamp(self, events: Iterable[Any], day: date) -> None:
        rng = self.rng
        for event in events:
            on = max(day, getattr(event, "effective_on", day))
            opened = datetime.combine(on, OFFICE_OPENS, self.zone)
            later = timedelta(
                seconds=rng.randrange(OFFICE_SECONDS), microseconds=rng.randrange(10**6)
            )
            when = (opened + later).astimezone(UTC)
            if self.last is not None and when <= self.last:
                when = self.last + timedelta(
                    seconds=rng.randint(20, 900), microseconds=rng.randrange(10**6)
                )
            # Events are frozen: the stamp is set as the library sets it, at creation.
            object.__setattr__(event, "timestamp", when)
            self.last = when


def stamp_by_effective_date(aggregates: Iterable[Aggregate], seed: int, zone: tzinfo) -> None:
    """Stamp the events of the agencies and academies: each recorded on its effective date."""
    for aggregate in aggregates:
        stamper = Stamper(random.Random(f"{seed}:recorded:{aggregate.id}"), zone)
        stamper.stamp(aggregate.pending_events, date.min)


def build_world(*, seed: int, scale: float, today: date, policy: Policy) -> World:
    """Regions, agencies and academies, registered on the first day of the ten years."""
    rng = random.Random(f"{seed}:world")
    epoch = add_years(today, -10)
    academies = {}
    for code, name, regions, certified_after in ACADEMIES:
        registered_on = epoch if certified_after in (0, None) else epoch + timedelta(300)
        academy = Academy(
            code=code,
            name=name,
            state_certified=certified_after == 0,
            effective_on=registered_on,
            actor=STATE_CLERK,
        )
        if certified_after:
            academy.change_certification(
                state_certified=True,
                reason="site review passed; curriculum meets the state standard",
                effective_on=epoch + timedelta(certified_after),
                actor=STATE_CLERK,
            )
        academies[code] = AcademyPlan(code, regions, academy)

    count = max(3, round(150 * scale))
    tiers = _tiers(count)
    names = _agency_names(count, tiers, rng)
    agencies = []
    for i, (tier, name) in enumerate(zip(tiers, names, strict=True)):
        code = f"{policy.state}{i + 1:05d}00"
        region = "Salt Lake" if i == 0 else rng.choices(REGIONS, REGION_WEIGHTS[tier])[0]
        low, high = TIERS[tier][2]
        district_names = _districts(rng.randint(low, high), rng)
        # About one agency in ten opens a district part-way through the ten years.
        added = []
        if len(district_names) > 2 and rng.random() < 0.1:
            added = [district_names.pop()]
        shifts = list(SHIFTS)
        in_house = rng.random() < 0.2
        agency = Agency(
            code=code,
            name=name,
            region=region,
            districts=district_names,
            shifts=shifts,
            in_house_course=in_house,
            effective_on=epoch,
            actor=STATE_CLERK,
        )
        districts = [(d, epoch) for d in district_names]
        for district in added:
            since = epoch + timedelta(rng.randint(200, 3300))
            agency.update(
                name=name,
                region=region,
                districts=[*district_names, district],
                shifts=shifts,
                in_house_course=in_house,
                effective_on=since,
                actor=STATE_CLERK,
            )
            districts.append((district, since))
        agencies.append(AgencyPlan(code, tier, region, in_house, agency, districts))
    return World(seed, today, epoch, policy, agencies, academies)


def _tiers(count: int) -> list[str]:
    urban = max(1, round(count * TIERS["urban"][0]))
    suburban = max(1, round(count * TIERS["suburban"][0]))
    rural = max(1, count - urban - suburban)
    return (["urban"] * urban + ["suburban"] * suburban + ["rural"] * rural)[:count]


def _agency_names(count: int, tiers: list[str], rng: random.Random) -> list[str]:
    """City police departments and county sheriff's offices, unique."""
    towns = list(TOWNS)
    counties = list(COUNTIES)
    rng.shuffle(counties)
    names = []
    for i, tier in enumerate(tiers):
        if tier == "rural" and counties and rng.random() < 0.25:
            names.append(f"{counties.pop()} County Sheriff's Office")
        elif i < len(towns):
            names.append(f"{towns[i]} Police Department")
        else:
            names.append(f"{towns[i % len(towns)]} Police Department {i // len(towns) + 1}")
    return names


def _districts(count: int, rng: random.Random) -> list[str]:
    names = list(DISTRICTS)
    rng.shuffle(names)
    return names[:count]
