"""Seeded synthetic resumes, postings and phrases for the speed benchmarks (no shared data).

The texts look like the real thing to the parser (sections, titles, dates, skills the
taxonomy knows), so parsing, chunking and features do realistic work; what they say is
made up. Each document belongs to one ``Family`` (an occupation), which the shortlist
benchmark uses as a synthetic relevance label.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """An occupation: its job titles, skills and the duties its people describe."""

    name: str
    titles: tuple[str, ...]
    skills: tuple[str, ...]
    duties: tuple[str, ...]
    degree: str


FAMILIES: tuple[Family, ...] = (
    Family(
        "data engineering",
        ("Data Engineer", "Senior Data Engineer", "ETL Developer", "Big Data Engineer"),
        (
            "Python",
            "SQL",
            "Apache Spark",
            "Apache Airflow",
            "Kafka",
            "AWS",
            "Docker",
            "Snowflake",
            "Hadoop",
            "Scala",
            "PostgreSQL",
            "Terraform",
        ),
        (
            "built batch and streaming pipelines that load {n} million rows a day",
            "migrated the warehouse from on-premise servers to the cloud",
            "designed data models for reporting and analytics teams",
            "cut pipeline run time by {p} percent by partitioning large tables",
            "set up monitoring and alerting for nightly data loads",
        ),
        "Bachelor of Science in Computer Science",
    ),
    Family(
        "software engineering",
        ("Software Engineer", "Backend Developer", "Full Stack Developer", "Java Developer"),
        (
            "Java",
            "Spring Boot",
            "JavaScript",
            "React",
            "Node.js",
            "Git",
            "REST APIs",
            "Kubernetes",
            "Microservices",
            "TypeScript",
            "MySQL",
            "Jenkins",
        ),
        (
            "developed REST services used by {n} thousand customers",
            "wrote unit and integration tests and raised coverage to {p} percent",
            "reviewed code and mentored two junior developers",
            "moved a monolith to microservices running on Kubernetes",
            "improved page load time for the customer portal",
        ),
        "Bachelor of Science in Software Engineering",
    ),
    Family(
        "nursing",
        ("Registered Nurse", "Staff Nurse", "ICU Nurse", "Charge Nurse"),
        (
            "patient care",
            "medication administration",
            "wound care",
            "BLS",
            "ACLS",
            "electronic health records",
            "triage",
            "IV therapy",
            "patient education",
            "infection control",
            "vital signs monitoring",
            "care planning",
        ),
        (
            "cared for up to {n} patients per shift on a busy medical ward",
            "administered medications and documented care in electronic records",
            "educated patients and families about discharge plans",
            "coordinated with physicians and therapists on care plans",
            "trained new nurses on unit procedures",
        ),
        "Bachelor of Science in Nursing",
    ),
    Family(
        "accounting",
        ("Accountant", "Staff Accountant", "Senior Accountant", "Accounts Payable Specialist"),
        (
            "accounts payable",
            "accounts receivable",
            "general ledger",
            "QuickBooks",
            "Microsoft Excel",
            "financial reporting",
            "reconciliation",
            "GAAP",
            "payroll",
            "budgeting",
            "auditing",
            "SAP",
        ),
        (
            "prepared monthly financial statements for {n} business units",
            "reconciled bank accounts and the general ledger every month",
            "processed vendor invoices and payments on time",
            "supported the annual external audit",
            "reduced month-end close from ten to {p} days",
        ),
        "Bachelor of Business Administration in Accounting",
    ),
    Family(
        "culinary",
        ("Chef", "Sous Chef", "Line Cook", "Kitchen Manager"),
        (
            "food preparation",
            "menu planning",
            "food safety",
            "inventory management",
            "kitchen management",
            "catering",
            "baking",
            "cost control",
            "sanitation",
            "ServSafe",
            "team leadership",
            "ordering",
        ),
        (
            "prepared meals for up to {n} guests a night",
            "planned seasonal menus with local suppliers",
            "kept the kitchen compliant with food safety rules",
            "trained and scheduled a team of {p} cooks",
            "cut food waste through better inventory control",
        ),
        "Associate Degree in Culinary Arts",
    ),
    Family(
        "teaching",
        ("Teacher", "Elementary School Teacher", "High School Math Teacher", "Tutor"),
        (
            "lesson planning",
            "classroom management",
            "curriculum development",
            "student assessment",
            "differentiated instruction",
            "Google Classroom",
            "special education",
            "parent communication",
            "mathematics",
            "literacy",
            "educational technology",
            "mentoring",
        ),
        (
            "taught classes of {n} students in grades six to eight",
            "designed lesson plans aligned with state standards",
            "raised test scores by {p} percent over two years",
            "met with parents to discuss student progress",
            "led the school's after-school tutoring program",
        ),
        "Master of Education",
    ),
    Family(
        "sales",
        (
            "Sales Representative",
            "Account Executive",
            "Sales Manager",
            "Business Development Manager",
        ),
        (
            "B2B sales",
            "lead generation",
            "Salesforce",
            "negotiation",
            "account management",
            "cold calling",
            "CRM",
            "sales forecasting",
            "customer relationship management",
            "presentations",
            "pipeline management",
            "contract negotiation",
        ),
        (
            "exceeded the annual quota by {p} percent",
            "managed a portfolio of {n} key accounts",
            "opened new markets in the southeast region",
            "built pipeline through cold calling and trade shows",
            "negotiated contracts with enterprise customers",
        ),
        "Bachelor of Arts in Communications",
    ),
    Family(
        "mechanical engineering",
        ("Mechanical Engineer", "Design Engineer", "Manufacturing Engineer", "Project Engineer"),
        (
            "SolidWorks",
            "AutoCAD",
            "finite element analysis",
            "GD&T",
            "MATLAB",
            "product design",
            "lean manufacturing",
            "Six Sigma",
            "root cause analysis",
            "prototyping",
            "thermodynamics",
            "CNC machining",
        ),
        (
            "designed components for a line producing {n} thousand units a year",
            "ran finite element analysis on load-bearing parts",
            "reduced scrap by {p} percent with lean methods",
            "worked with suppliers on tooling and tolerances",
            "led root cause analysis of field failures",
        ),
        "Bachelor of Science in Mechanical Engineering",
    ),
    Family(
        "graphic design",
        ("Graphic Designer", "Visual Designer", "UX Designer", "Art Director"),
        (
            "Adobe Photoshop",
            "Adobe Illustrator",
            "Adobe InDesign",
            "Figma",
            "typography",
            "branding",
            "user experience design",
            "wireframing",
            "layout design",
            "motion graphics",
            "web design",
            "print design",
        ),
        (
            "designed brand identities for {n} clients",
            "created layouts for print and web campaigns",
            "ran user research and built wireframes in Figma",
            "increased click-through by {p} percent with a new landing page",
            "managed the design system for the product team",
        ),
        "Bachelor of Fine Arts in Graphic Design",
    ),
    Family(
        "human resources",
        ("HR Generalist", "Recruiter", "Human Resources Manager", "Talent Acquisition Specialist"),
        (
            "recruiting",
            "onboarding",
            "employee relations",
            "benefits administration",
            "Workday",
            "performance management",
            "HRIS",
            "labor law",
            "interviewing",
            "compensation",
            "training and development",
            "payroll",
        ),
        (
            "hired {n} people a year across engineering and operations",
            "ran onboarding for new employees",
            "handled employee relations cases and investigations",
            "rolled out a new performance review process",
            "cut time to hire by {p} percent",
        ),
        "Bachelor of Arts in Psychology",
    ),
    Family(
        "marketing",
        ("Marketing Manager", "Digital Marketing Specialist", "Content Marketer", "SEO Specialist"),
        (
            "search engine optimization",
            "Google Analytics",
            "content marketing",
            "social media marketing",
            "email marketing",
            "Google Ads",
            "copywriting",
            "HubSpot",
            "market research",
            "brand management",
            "A/B testing",
            "marketing strategy",
        ),
        (
            "grew organic traffic by {p} percent in one year",
            "managed a paid search budget of {n} thousand dollars",
            "wrote blog posts, newsletters and landing pages",
            "ran A/B tests on email campaigns",
            "reported campaign results to leadership every month",
        ),
        "Bachelor of Business Administration in Marketing",
    ),
    Family(
        "project management",
        ("Project Manager", "Program Manager", "Scrum Master", "Project Coordinator"),
        (
            "project management",
            "Agile",
            "Scrum",
            "Jira",
            "risk management",
            "stakeholder management",
            "budget management",
            "PMP",
            "Microsoft Project",
            "resource planning",
            "change management",
            "vendor management",
        ),
        (
            "delivered {n} projects on time and within budget",
            "ran sprint planning and retrospectives for three teams",
            "managed risks and reported status to stakeholders",
            "coordinated vendors across two countries",
            "introduced Jira workflows that cut cycle time by {p} percent",
        ),
        "Master of Business Administration",
    ),
)

FIRST = (
    "Alex",
    "Maria",
    "Sam",
    "Priya",
    "John",
    "Wei",
    "Fatima",
    "Carlos",
    "Anna",
    "Kwame",
    "Laura",
    "Omar",
    "Emily",
    "Diego",
    "Sara",
    "Ivan",
    "Grace",
    "Tom",
    "Mei",
    "Noah",
)
LAST = (
    "Smith",
    "Garcia",
    "Chen",
    "Patel",
    "Johnson",
    "Okafor",
    "Kim",
    "Müller",
    "Rossi",
    "Nguyen",
    "Brown",
    "Silva",
    "Khan",
    "Lopez",
    "Walker",
    "Ivanova",
    "Sato",
    "Moore",
)
COMPANIES = (
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Stark Industries",
    "Wayne Enterprises",
    "Hooli",
    "Vandelay Industries",
    "Soylent Foods",
    "Cyberdyne Systems",
    "Wonka Industries",
    "Blue Harbor Bank",
    "Northwind Traders",
)
CITIES = (
    "Austin, TX",
    "Chicago, IL",
    "Seattle, WA",
    "Boston, MA",
    "Denver, CO",
    "Atlanta, GA",
    "Phoenix, AZ",
    "New York, NY",
    "San Diego, CA",
    "Portland, OR",
)
SCHOOLS = ("State University", "City College", "Lakeside University", "Institute of Technology")
FILLER = (
    "worked closely with the team to meet deadlines",
    "kept clear documentation for others",
    "took part in weekly planning meetings",
    "helped new colleagues get up to speed",
    "followed company policies and quality standards",
)


def _duty(rng: random.Random, family: Family) -> str:
    text = rng.choice(family.duties).format(n=rng.randint(5, 90), p=rng.randint(10, 45))
    return text[0].upper() + text[1:] + "."


def resume(rng: random.Random, family: Family, *, words: int = 350) -> str:
    """A resume of about ``words`` words (name, contacts, summary, skills, jobs, education)."""
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    years = rng.randint(2, 18)
    skills = rng.sample(family.skills, rng.randint(6, len(family.skills)))
    other = rng.choice([f for f in FAMILIES if f is not family])
    skills += rng.sample(other.skills, 2)
    lines = [
        name,
        f"{name.split()[0].lower()}@example.com | +1 555 {rng.randint(1000000, 9999999)}",
        rng.choice(CITIES),
        "",
        "Summary",
        f"{rng.choice(family.titles)} with {years} years of experience in {family.name}. "
        f"Strong in {skills[0]}, {skills[1]} and {skills[2]}. {_duty(rng, family)}",
        "",
        "Skills",
        ", ".join(skills),
        "",
        "Experience",
    ]
    end = 2025
    body_words = sum(len(line.split()) for line in lines)
    jobs = 0
    while body_words < words - 30 or jobs < 2:
        start = end - rng.randint(1, 5)
        lines.append(f"{rng.choice(family.titles)}, {rng.choice(COMPANIES)}, {start} - {end}")
        for _ in range(rng.randint(3, 6)):
            sentence = (
                _duty(rng, family) if rng.random() < 0.7 else rng.choice(FILLER).capitalize() + "."
            )
            lines.append(f"- {sentence}")
            body_words += len(sentence.split()) + 1
        lines.append("")
        end, jobs = start, jobs + 1
        body_words += 6
    lines += [
        "Education",
        f"{family.degree}, {rng.choice(SCHOOLS)}, {end - rng.randint(0, 2)}",
    ]
    return "\n".join(lines) + "\n"


COMPANY_LINES = (
    "We serve customers in more than {n} countries and keep growing every year.",
    "Our teams work in small groups with a lot of freedom and clear goals.",
    "We care about quality, honest feedback and learning from mistakes.",
    "The company was founded {n} years ago and is still owned by its staff.",
    "You will join a friendly team that values collaboration and good documentation.",
    "We are an equal opportunity employer and welcome applicants from every background.",
)
BENEFITS = (
    "Competitive salary and an annual bonus",
    "Health, dental and vision insurance from day one",
    "Twenty-five days of paid time off plus public holidays",
    "A yearly budget for training, books and conferences",
    "Flexible working hours and two days a week from home",
    "A retirement plan with a company match",
    "Paid parental leave",
)


def posting(rng: random.Random, family: Family) -> str:
    """A job posting: title, location, about, responsibilities, requirements, nice to have."""
    title = rng.choice(family.titles)
    required = rng.sample(family.skills, rng.randint(3, 6))
    preferred = rng.sample([s for s in family.skills if s not in required], 2)
    duties = [
        d.format(n=rng.randint(5, 90), p=rng.randint(10, 45)).capitalize() + "."
        for d in rng.sample(family.duties, rng.randint(3, 5))
    ] + [f.capitalize() + "." for f in rng.sample(FILLER, 2)]
    lines = [
        title,
        f"Location: {rng.choice(CITIES)}",
        "",
        "About the role",
        f"{rng.choice(COMPANIES)} is hiring: {title}, in a growing {family.name} team. "
        f"Last year the team {rng.choice(family.duties).format(n=rng.randint(5, 90), p=20)}. "
        + " ".join(line.format(n=rng.randint(5, 40)) for line in rng.sample(COMPANY_LINES, 4)),
        "",
        "Responsibilities",
        *(f"- {d}" for d in duties),
        "",
        "Requirements",
        f"- {rng.randint(1, 8)}+ years of experience in {family.name}",
        *(f"- Experience with {s}" for s in required),
        f"- {family.degree.split(' in ')[0]} or equivalent",
        "",
        "Nice to have",
        *(f"- {s}" for s in preferred),
        "",
        "What we offer",
        *(f"- {b}" for b in rng.sample(BENEFITS, 4)),
    ]
    return "\n".join(lines) + "\n"


_WORDS = tuple(
    {
        w.strip(".,").lower()
        for f in FAMILIES
        for text in (*f.duties, *f.skills, *f.titles, *FILLER)
        for w in text.replace("{n}", "12").replace("{p}", "30").split()
    }
)


def phrase(rng: random.Random, words: int) -> str:
    """A title-or-skill-like phrase of ``words`` words."""
    family = rng.choice(FAMILIES)
    parts = [rng.choice(family.titles), *rng.sample(family.skills, 3)]
    out = " ".join(parts).split()
    while len(out) < words:
        out.append(rng.choice(_WORDS))
    return " ".join(out[:words])


def prose(rng: random.Random, words: int) -> str:
    """Resume-like prose of exactly ``words`` words (sentences cut to fit)."""
    out: list[str] = []
    while len(out) < words:
        family = rng.choice(FAMILIES)
        out.extend(_duty(rng, family).split())
        if rng.random() < 0.3:
            out.extend(f"Used {rng.choice(family.skills)} daily.".split())
    return " ".join(out[:words])
