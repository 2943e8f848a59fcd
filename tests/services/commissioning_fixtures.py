"""A tiny hand-built register whose commissioning figures are checked by hand in the tests.

Period 1 April 2024 - 31 March 2025. All children live at one point ``HOME_E, HOME_N``; homes lie due
east of it at 10 (H1), 30 (H2), 2 (H3), 2 (H4) and 20 (H5) miles.

| who | LA | home (type, provider) | start -> end | weekly total | notes |
|---|---|---|---|---|---|
| a1-a5 | Newcastle | H1 children's home, Acme | 2024-06-01 -> | core 1000k + 100 add. = 1100..5100, spot | referrals 0/5/10/20/30 days before |
| b1-b5 | Middlesbrough | H4 supported, Beta | 2024-04-01 -> 2024-05-01 (CARPL) | 500, spot | UASC, BAFR |
| b1-b5 | Middlesbrough | H2 IFA foster, Beta | 2024-05-01 -> | 700 core + 100 education, contracted | |
| a6 | Newcastle | H3 LA foster, Newcastle council (no group) | 2024-04-10 -> 07-01 (CARPL), -> 09-01 (CHILD), -> | 400, in-house | disabled, MWBC |

H5 is an empty children's home (Beta, 3 places, fee 4000) for the stress test.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from rcc.db import transaction
from rcc.db.models import Child, Home, LocalAuthority, Placement, Provider, Referral

MILE = 1609.344
HOME_E, HOME_N = 425000.0, 564000.0
START, END = dt.date(2024, 4, 1), dt.date(2025, 3, 31)


@dataclass
class Tiny:
    homes: dict[str, int] = field(default_factory=dict)
    children: dict[str, int] = field(default_factory=dict)
    placements: dict[str, int] = field(default_factory=dict)
    la_provider: int = 0
    la_provider_name: str = "Newcastle Children's Services"


def build(factory, world) -> Tiny:
    t = Tiny()
    with transaction(factory) as s:
        la_a = s.query(LocalAuthority).filter_by(gss_code=world.la_a).one()
        la_b = s.query(LocalAuthority).filter_by(gss_code=world.la_b).one()
        acme = s.get(Provider, world.provider_a)
        acme.difficult_to_replace, acme.risk_rating = True, "high"
        acme.contingency_plan_held, acme.contingency_plan_date = True, dt.date(2023, 1, 1)
        council = Provider(name=t.la_provider_name, sector="local_authority", owner_group=None)
        s.add(council)
        s.flush()
        t.la_provider = council.id

        def home(key, provider, home_type, miles, la, places, fee=0, age_min=0):
            h = Home(
                provider_id=provider, name=key, home_type=home_type, postcode="NE1 4",
                easting=HOME_E + miles * MILE, northing=HOME_N, la_id=la.id, registered_places=places,
                age_min=age_min, age_max=17, sexes_accepted=["male", "female"], needs_met=[],
                ofsted_judgement="good", fee_core=fee,
            )  # fmt: skip
            s.add(h)
            s.flush()
            t.homes[key] = h.id
            return h

        h1 = home("H1", world.provider_a, "childrens_home", 10, la_a, 6)
        h2 = home("H2", world.provider_b, "ifa_foster", 30, la_b, 5)
        h3 = home("H3", council.id, "la_foster", 2, la_a, 1)
        h4 = home("H4", world.provider_b, "supported_accommodation", 2, la_b, 4, age_min=16)
        home("H5", world.provider_b, "childrens_home", 20, la_b, 3, fee=4000)

        def child(key, la, born, ethnicity, uasc=False, needs=()):
            c = Child(
                la_id=la.id, la_child_id=key, birth_month=born, sex="female", ethnicity=ethnicity, uasc=uasc,
                needs=list(needs), home_postcode_sector="NE1 4", home_easting=HOME_E, home_northing=HOME_N,
                suitability={"foster": "suitable", "residential": "preferred", "supported": "suitable"},
            )  # fmt: skip
            s.add(c)
            s.flush()
            t.children[key] = c.id
            return c

        def place(key, c, h, start, end=None, reason=None, contract="spot", **money):
            p = Placement(child_id=c.id, home_id=h.id, start_date=start, end_date=end, reason_ended=reason,
                          contract=contract, **money)  # fmt: skip
            s.add(p)
            s.flush()
            t.placements[key] = p.id
            return p

        for k, wait in zip(range(1, 6), (0, 5, 10, 20, 30), strict=True):
            c = child(f"a{k}", la_a, dt.date(2010, 1, 1), "WBRI")
            start = dt.date(2024, 6, 1)
            ref = Referral(la_id=la_a.id, status="placed", needed_by="> 5 days", children=[c])
            ref.created_at = dt.datetime.combine(start - dt.timedelta(days=wait), dt.time(9), tzinfo=dt.UTC)
            s.add(ref)
            s.flush()
            p = place(f"a{k}", c, h1, start, weekly_core=1000 * k, weekly_additional_support=100)
            p.referral_id = ref.id
        for k in range(1, 6):
            c = child(f"b{k}", la_b, dt.date(2008, 1, 1), "BAFR", uasc=True)
            place(f"b{k}-early", c, h4, START, dt.date(2024, 5, 1), "CARPL", weekly_core=500)
            place(
                f"b{k}",
                c,
                h2,
                dt.date(2024, 5, 1),
                contract="contracted",
                weekly_core=700,
                weekly_education=100,
            )
        c = child("a6", la_a, dt.date(2020, 1, 1), "MWBC", needs=["disability"])
        place("a6-1", c, h3, dt.date(2024, 4, 10), dt.date(2024, 7, 1), "CARPL", "in_house", weekly_core=400)
        place("a6-2", c, h3, dt.date(2024, 7, 1), dt.date(2024, 9, 1), "CHILD", "in_house", weekly_core=400)
        place("a6-3", c, h3, dt.date(2024, 9, 1), contract="in_house", weekly_core=400)
    return t


DFE_CSV = """year,level,region,la_gss_code,la_name,location,children,percent
2024,Local authority,North East,E08000021,Newcastle upon Tyne,Total new placements,100,100.0
2024,Local authority,North East,E08000021,Newcastle upon Tyne,Placed outside LA boundary more than 20 miles from home,90,90.0
2025,Local authority,North East,E08000021,Newcastle upon Tyne,Placed inside LA boundary less than 20 miles from home,60,60.0
2025,Local authority,North East,E08000021,Newcastle upon Tyne,Placed inside LA boundary more than 20 miles from home,,
2025,Local authority,North East,E08000021,Newcastle upon Tyne,Placed outside LA boundary more than 20 miles from home,10,10.0
2025,Local authority,North East,E08000021,Newcastle upon Tyne,Total new placements,100,100.0
2025,Local authority,North East,E06000002,Middlesbrough,Placed inside LA boundary more than 20 miles from home,5,5.0
2025,Local authority,North East,E06000002,Middlesbrough,Placed outside LA boundary more than 20 miles from home,25,25.0
2025,Local authority,North East,E06000002,Middlesbrough,Total new placements,100,100.0
2025,National,,,,Total new placements,1000,100.0
"""


def dfe_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir(exist_ok=True)
    (d / "dfe_new_placements_by_distance_2021_2025.csv").write_text(DFE_CSV)
    return d
