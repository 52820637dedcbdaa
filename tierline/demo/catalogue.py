"""The demo's fixed cast and the text it is written in. Pure data: no Django, no randomness.

Phone numbers come only from ranges reserved for fiction (Ofcom's 07700 900xxx, the US
555-01xx block) and e-mail addresses only from the reserved example domains, so nothing the demo
prints can reach a real person.
"""

from __future__ import annotations

TENANTS = [
    {
        "code": "ACME", "name": "Acme Telecom", "tz": "Europe/London", "lang": "en", "currency": "GBP",
        "symbol": "£", "account": "ACC-{n:07d}", "ticket": "ZD-{n:06d}", "engineering": "Network engineering",
        "products": ["fibre broadband", "mobile plan", "home phone line", "TV bundle", "business ethernet"],
        "features": ["My Acme app", "online account", "router admin page", "bill viewer", "SIM activation"],
        "vendors": ["the Openreach field team", "the handset supplier", "the roaming partner"],
        "channels": {"phone": 40, "email": 20, "chat": 20, "social": 10, "portal": 8, "api": 2},
        "langs": {"en": 85, "pl": 6, "cy": 5, "ur": 4},
        "phone": "07700 900{n:03d}",
    },
    {
        "code": "GLOBEX", "name": "Globex Bank", "tz": "America/New_York", "lang": "en", "currency": "USD",
        "symbol": "$", "account": "GB-{n:08d}", "ticket": "INC{n:07d}", "engineering": "Core banking engineering",
        "products": ["checking account", "credit card", "mortgage", "mobile banking app", "wire transfer service"],
        "features": ["online banking", "card controls", "bill pay", "statement download", "two-factor login"],
        "vendors": ["the card processor", "the credit bureau", "the correspondent bank"],
        "channels": {"phone": 35, "email": 25, "chat": 20, "social": 5, "portal": 12, "api": 3},
        "langs": {"en": 80, "es": 20},
        "phone": "+1 202-555-01{n:02d}",
    },
    {
        "code": "INITECH", "name": "Initech Software", "tz": "Asia/Kolkata", "lang": "en", "currency": "INR",
        "symbol": "₹", "account": "INI-{n:05d}", "ticket": "SUP-{n:05d}", "engineering": "Product engineering",
        "products": ["Initech Cloud", "TPS Reports", "Initech HR suite", "licence server", "desktop client"],
        "features": ["report builder", "SSO login", "payroll export", "admin console", "REST API"],
        "vendors": ["the cloud hosting provider", "the payment gateway", "the SSO identity provider"],
        "channels": {"phone": 10, "email": 35, "chat": 15, "social": 2, "portal": 28, "api": 10},
        "langs": {"en": 70, "hi": 15, "bn": 15},
        "phone": "",
        "custom_field_schema": {
            "type": "object",
            "properties": {
                "product_version": {"type": "string", "maxLength": 20},
                "environment": {"enum": ["production", "staging", "trial"]},
            },
            "additionalProperties": False,
        },
    },
]
TENANT_CODES = [t["code"] for t in TENANTS]

# -- the mix ---------------------------------------------------------------------------------------
TENANT_SHARE = {"ACME": 45, "GLOBEX": 35, "INITECH": 20}
TYPE_WEIGHTS = {
    "technical": 20, "billing": 14, "customer_experience": 10, "compensation": 7, "compliance": 5,
    "sla_breach": 6, "product": 8, "account": 8, "workforce": 3, "process": 4, "dispute": 7, "security": 4,
    "executive": 4,
}
TRIGGER_WEIGHTS = {"hierarchical": 30, "functional": 25, "time_based": 12, "priority_based": 6,
                   "client_initiated": 15, "rule": 12}
TRIGGER_BIAS = {
    "security": {"priority_based": 60}, "executive": {"priority_based": 50}, "sla_breach": {"time_based": 70},
    **{t: {"functional": 45} for t in ("billing", "compensation", "compliance", "account", "dispute")},
}
# P1, P2, P3, P4. Overall this lands near 5 / 20 / 50 / 25 %, with urgent cases skewed upwards.
PRIORITY_WEIGHTS = {"normal": (2, 16, 55, 27), "urgent": (20, 45, 30, 5), "vip": (12, 40, 38, 10),
                    "forced": (30, 70, 0, 0)}
# Internal escalations (about staff or procedures) usually have no end customer.
NO_CUSTOMER_SHARE = {"workforce": 0.8, "process": 0.6}
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 13, 12, 13, 13, 12, 11, 9, 7, 5, 4, 3, 2, 1]

# key, name (None: the tenant's engineering name), level, function, parent key. Parents first.
TEAMS = [
    ("exec5", "Executive office", 5, "executive_office", None),
    ("mgmt4", "Service management", 4, "account", "exec5"),
    ("eng3", None, 3, "technical", "mgmt4"),
    ("compliance3", "Compliance & risk", 3, "compliance", "mgmt4"),
    ("tech2", "Technical support", 2, "technical", "eng3"),
    ("billing2", "Billing & accounts", 2, "billing", "mgmt4"),
    ("workforce2", "Workforce & operations", 2, "workforce", "mgmt4"),
    ("care", "Customer care", 1, "customer_care", "tech2"),
]


def _everywhere(role, *teams):
    return {code: (role, teams) for code in TENANT_CODES}


# username, first, last, time zone, {tenant: (role, ((team, is_lead), …))}
USERS = [
    ("admin", "Alex", "Morgan", "Europe/London", _everywhere("admin")),
    ("priya.raman", "Priya", "Raman", "Europe/London", _everywhere("compliance", ("compliance3", False))),
    ("hannah.lee", "Hannah", "Lee", "Europe/London", _everywhere("specialist", ("compliance3", True))),
    ("david.okafor", "David", "Okafor", "Europe/London", _everywhere("supervisor", ("workforce2", True))),
    ("sofia.marquez", "Sofía", "Márquez", "America/New_York", _everywhere("executive", ("exec5", True))),
    ("marcus.bell", "Marcus", "Bell", "America/New_York", {
        "ACME": ("specialist", (("billing2", True),)), "GLOBEX": ("specialist", (("billing2", True),))}),
    ("olivia.brown", "Olivia", "Brown", "Europe/London", {"ACME": ("agent", (("care", False),))}),
    ("jack.wilson", "Jack", "Wilson", "Europe/London", {"ACME": ("agent", (("care", False),))}),
    # Overnight cover: London days on Acme, New York evenings on Globex.
    ("amelia.clarke", "Amelia", "Clarke", "Europe/London", {
        "ACME": ("agent", (("care", False),)), "GLOBEX": ("agent", (("care", False),))}),
    ("graham.hughes", "Graham", "Hughes", "Europe/London", {"ACME": ("supervisor", (("care", True),))}),
    ("ewan.fraser", "Ewan", "Fraser", "Europe/London", {"ACME": ("specialist", (("tech2", True),))}),
    ("rhys.morgan", "Rhys", "Morgan", "Europe/London", {"ACME": ("specialist", (("tech2", False),))}),
    ("fiona.campbell", "Fiona", "Campbell", "Europe/London", {"ACME": ("specialist", (("eng3", True),))}),
    ("catherine.doyle", "Catherine", "Doyle", "Europe/London", {"ACME": ("manager", (("mgmt4", True),))}),
    ("tom.barker", "Tom", "Barker", "Europe/London", {"ACME": ("client_viewer", ())}),
    ("maria.gonzalez", "María", "González", "America/New_York", {"GLOBEX": ("agent", (("care", False),))}),
    ("tyler.johnson", "Tyler", "Johnson", "America/New_York", {"GLOBEX": ("agent", (("care", False),))}),
    ("denise.washington", "Denise", "Washington", "America/New_York",
     {"GLOBEX": ("supervisor", (("care", True),))}),
    ("kevin.park", "Kevin", "Park", "America/New_York", {"GLOBEX": ("specialist", (("tech2", True),))}),
    ("rachel.stein", "Rachel", "Stein", "America/New_York", {"GLOBEX": ("specialist", (("eng3", True),))}),
    ("michael.obrien", "Michael", "O'Brien", "America/New_York", {"GLOBEX": ("manager", (("mgmt4", True),))}),
    ("laura.chen", "Laura", "Chen", "America/New_York", {"GLOBEX": ("client_viewer", ())}),
    ("arjun.banerjee", "Arjun", "Banerjee", "Asia/Kolkata", {"INITECH": ("agent", (("care", False),))}),
    ("sneha.ghosh", "Sneha", "Ghosh", "Asia/Kolkata", {"INITECH": ("agent", (("care", False),))}),
    ("meera.sen", "Meera", "Sen", "Asia/Kolkata", {"INITECH": ("supervisor", (("care", True),))}),
    # Covers Globex's second-line queue during the Indian day.
    ("vikram.rao", "Vikram", "Rao", "Asia/Kolkata", {
        "INITECH": ("specialist", (("tech2", True),)), "GLOBEX": ("specialist", (("tech2", False),))}),
    ("kavya.nair", "Kavya", "Nair", "Asia/Kolkata", {"INITECH": ("specialist", (("billing2", True),))}),
    ("sanjay.mukherjee", "Sanjay", "Mukherjee", "Asia/Kolkata", {"INITECH": ("specialist", (("eng3", True),))}),
    ("deepa.chatterjee", "Deepa", "Chatterjee", "Asia/Kolkata", {"INITECH": ("manager", (("mgmt4", True),))}),
    ("ravi.kapoor", "Ravi", "Kapoor", "Asia/Kolkata", {"INITECH": ("client_viewer", ())}),
]

CUSTOMER_NAMES = {
    "ACME": (
        "Oliver George Harry Noah Jack Leo Arthur Muhammad Oscar Charlie Olivia Amelia Isla Ava Ivy Freya "
        "Lily Florence Mia Sophie Grace Evie Poppy Aisha Siobhan Dylan Rhiannon Callum Niamh Tomasz Agnieszka",
        "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker White "
        "Roberts Green Hall Wood Jackson Clarke Patel Khan Hughes Edwards MacDonald Kowalski Nowak O'Neill",
    ),
    "GLOBEX": (
        "James Michael Robert John David William Mary Patricia Jennifer Linda Elizabeth Jessica Carlos José "
        "Luis Sofia Camila Valentina Wei Min-jun Aaliyah DeShawn Emily Madison Ethan Tyler Grace Hannah",
        "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
        "Wilson Anderson Thomas Taylor Moore Jackson Lee Nguyen Kim Washington Rivera Cohen Murphy",
    ),
    "INITECH": (
        "Aarav Vivaan Aditya Ishaan Saanvi Ananya Diya Priya Rahul Rohit Sourav Debashree Arindam Moumita "
        "Kunal Neha Anjali Suresh Lakshmi Farhan Liam Emma Lukas Hannah Chloé Kenji",
        "Sharma Verma Gupta Banerjee Chatterjee Mukherjee Bose Ghosh Das Sen Iyer Reddy Nair Khan Singh "
        "Patel Roy Dutta Menon Fischer Müller Dubois Tanaka",
    ),
}
CUSTOMER_DOMAINS = ["example.com", "example.net"]

COUNTRIES = ["Brazil", "Nigeria", "Romania", "Vietnam", "Russia", "Indonesia", "Ukraine", "Peru"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# Placeholders: {product} {feature} {inv} {amount} {sym} {month} {times} {minutes} {days} {hours}
# {code} {country} {acct} {version} {week} {weekday} {tenant}
TITLES = {
    "technical": [
        "{product} down since this morning", "Intermittent connection drops on {product}",
        "Error {code} when signing in to {feature}", "{feature} times out for the customer",
        "Slow performance on {product} after the latest update",
        "Data not syncing between {feature} and {product}",
    ],
    "billing": [
        "Double charge on invoice INV-{inv}", "Direct debit taken twice in {month}",
        "Invoice INV-{inv} shows the wrong {product} price", "Late payment fee applied in error",
        "Payment declined but amount still reserved on card",
        "Unrecognised charge of {sym}{amount} on the {month} bill",
    ],
    "customer_experience": [
        "Promised callbacks about {product} never made", "Customer says agent was rude and wants a manager",
        "Customer transferred {times} times without resolution", "Customer waited {minutes} minutes on hold twice",
        "Customer unhappy with handling of {product} complaint",
    ],
    "compensation": [
        "Goodwill credit requested after {days}-day {product} outage", "Refund request for unused {product} period",
        "Compensation claim for missed engineer appointment", "Refund of {sym}{amount} promised but not received",
        "Customer asks for compensation after data loss in {feature}",
    ],
    "compliance": [
        "Data subject access request for account {acct}", "Customer requests erasure of personal data",
        "Call recording consent not captured", "Marketing sent despite opt-out",
        "Possible vulnerable customer: affordability check needed",
        "Complaint approaching its regulatory response deadline",
    ],
    "sla_breach": [
        "First response target missed on urgent {product} case",
        "Resolution target breached for {product} fault",
        "Customer not updated for {hours} hours despite promise", "Repeat SLA breach on the same account",
    ],
    "product": [
        "{feature} shows wrong totals after update", "Bug: {feature} crashes on save",
        "Regression in {product} release {version}", "Customer requests CSV export in {feature}",
        "Confusing {feature} behaviour reported by several customers",
    ],
    "account": [
        "Account locked after failed verification", "Ownership transfer for account {acct} stuck",
        "Cannot close account: request keeps failing", "Address change not applied to account {acct}",
        "Duplicate accounts created for the same customer",
    ],
    "workforce": [
        "Overtime dispute for week {week}", "Shift cover gap on {weekday} nights",
        "Refresher training needed on {product} queries", "Agent conduct complaint raised by a customer",
        "Care queue understaffed at peak times",
    ],
    "process": [
        "Callback queue not routing to second line", "Knowledge base article for {product} out of date",
        "Notes lost in handover between billing and care", "IVR sends {product} calls to the wrong queue",
        "Manual workaround needed for {feature} refunds",
    ],
    "dispute": [
        "Customer disputes early termination fee", "Chargeback raised on payment of {sym}{amount}",
        "Formal complaint about {product} contract terms", "Customer disputes usage charges for {month}",
        "Customer threatens to go to the ombudsman",
    ],
    "security": [
        "Suspicious login from new country ({country})", "Account takeover suspected on {feature}",
        "Phishing message impersonating {tenant} reported", "Password reset requested by unknown caller",
        "Card details read out on a recorded line", "Unusual API activity on customer account",
    ],
    "executive": [
        "VIP complaint addressed to the CEO", "Key account threatening to leave over {product}",
        "Board-level complaint about repeated {product} failures", "Press enquiry about {product} outage",
        "Letter to the managing director about poor service",
    ],
}

DETAILS = {
    "technical": ["The service has failed several times this week and the customer works from home.",
                  "Customer already restarted equipment and cleared the app cache.",
                  "Other customers in the same area report similar symptoms."],
    "billing": ["The customer has a bank statement showing both payments.",
                "The amount does not match the contract signed last year.",
                "The customer has been charged a fee they say was waived on a previous call."],
    "customer_experience": ["This is the third contact about the same problem.",
                            "The customer posted about the experience publicly.",
                            "The customer feels nobody takes ownership."],
    "compensation": ["The customer was without service for several working days.",
                     "A credit was promised on a previous call but never applied.",
                     "The customer lists the costs the outage caused them."],
    "compliance": ["The request must be answered within the statutory deadline.",
                   "The customer quotes the regulator's guidance.",
                   "The frontline team is unsure which policy applies."],
    "sla_breach": ["The response window passed without anyone picking the case up.",
                   "The customer was promised an update that never came.",
                   "The breach was flagged by the SLA monitor."],
    "product": ["Reproducible with the steps the customer gave.",
                "Started after the most recent release.",
                "Several customers have asked for the same change."],
    "account": ["Identity checks were passed on a previous call.",
                "The customer needs access urgently to pay a bill.",
                "The account records disagree between two systems."],
    "workforce": ["Raised by the team lead after the weekly review.",
                  "Affects service levels on the evening shift.",
                  "Needs HR input before anything is said to the agent."],
    "process": ["Cases are bouncing between teams without an owner.",
                "Agents work around it by hand, which is slow and error-prone.",
                "The documented procedure no longer matches the system."],
    "dispute": ["The customer does not accept the explanation given so far.",
                "The customer has raised a dispute with their card issuer.",
                "The customer has asked for the complaint to be recorded formally."],
    "security": ["The customer did not make the change and is worried about fraud.",
                 "Activity came from an unfamiliar device and location.",
                 "Possible social engineering attempt on the frontline."],
    "executive": ["The customer wrote directly to the executive team.",
                  "High-value account; renewal is due next quarter.",
                  "The complaint mentions contacting the press."],
}
OPENERS = ["{first} contacted us by {channel}.", "{first} got in touch via {channel}.",
           "Raised after a {channel} contact with {first}."]
NO_CUSTOMER_OPENER = "Raised internally by the {team} team."

TAGS = {
    "technical": ["outage", "connectivity", "login"], "billing": ["invoice", "direct-debit", "refund"],
    "customer_experience": ["repeat-contact", "complaint", "callback"], "compensation": ["goodwill", "refund"],
    "compliance": ["regulatory", "gdpr", "vulnerable-customer"], "sla_breach": ["sla", "missed-update"],
    "product": ["bug", "feature-request", "regression"], "account": ["access", "identity", "closure"],
    "workforce": ["staffing", "training", "conduct"], "process": ["routing", "knowledge-base", "handover"],
    "dispute": ["chargeback", "formal-complaint", "ombudsman"], "security": ["fraud", "phishing", "account-takeover"],
    "executive": ["ceo-letter", "key-account", "press"],
}

# Where each type's specialists sit, and which resolution codes / root causes are believable.
HOME_TEAM = {
    "technical": "tech2", "billing": "billing2", "customer_experience": "mgmt4", "compensation": "billing2",
    "compliance": "compliance3", "sla_breach": "tech2", "product": "tech2", "account": "billing2",
    "workforce": "workforce2", "process": "workforce2", "dispute": "billing2", "security": "eng3",
    "executive": "exec5",
}
OUTCOMES = {
    "technical": (["fixed", "fixed", "workaround", "no_fault"],
                  ["infrastructure", "product_defect", "third_party", "customer_error"]),
    "billing": (["refund", "fixed", "information"], ["billing_error", "billing_error", "process_gap"]),
    "customer_experience": (["information", "policy_exception", "refund"], ["training", "communication", "process_gap"]),
    "compensation": (["refund", "refund", "policy_exception"], ["infrastructure", "third_party", "policy"]),
    "compliance": (["fixed", "information", "policy_exception"], ["process_gap", "policy", "training"]),
    "sla_breach": (["fixed", "refund"], ["process_gap", "training", "infrastructure"]),
    "product": (["fixed", "workaround", "information"], ["product_defect", "product_defect", "unknown"]),
    "account": (["fixed", "information"], ["process_gap", "customer_error"]),
    "workforce": (["fixed", "information"], ["training", "process_gap", "policy"]),
    "process": (["fixed", "workaround"], ["process_gap", "communication"]),
    "dispute": (["refund", "no_fault", "policy_exception"], ["billing_error", "communication", "policy"]),
    "security": (["fixed", "no_fault"], ["customer_error", "third_party", "process_gap"]),
    "executive": (["fixed", "refund", "policy_exception"], ["communication", "infrastructure", "product_defect"]),
}
RESOLUTIONS = {
    "fixed": ["Root problem fixed and confirmed with the customer.", "Fault corrected; customer confirmed all is working."],
    "workaround": ["Workaround in place while the permanent fix is scheduled.",
                   "Customer shown a workaround; defect logged for the next release."],
    "information": ["Explained the position in full; customer accepted the explanation.",
                    "Customer given the information they needed and a written summary."],
    "refund": ["Refund issued to the original payment method.", "Account credited and confirmation sent."],
    "policy_exception": ["One-off policy exception approved by management.",
                         "Exception granted outside standard policy, with manager sign-off."],
    "no_fault": ["Investigation found no fault on our side; findings shared with the customer.",
                 "No fault found; customer advised how to avoid a repeat."],
}

NOTES = [
    "Checked the account history: no similar issue in the last 12 months.",
    "Reproduced the problem on a test account.", "Customer is frustrated; keep updates frequent.",
    "Logs and screenshots attached in the client's helpdesk ticket {ticket}.",
    "Spoke to the customer again to confirm the details.", "Checked with {vendor}: investigating on their side.",
    "Similar cases this week: possibly a wider problem. Flagging for root-cause review.",
    "Confirmed identity with two factors before discussing the account.",
    "Next step agreed with the team lead.", "Draft fix ready, testing before we tell the customer.",
]
HANDOVER_NOTES = [
    "Picked up from the previous team; reading the history now.", "Taking this one. Will call the customer today.",
    "Received with full notes, thanks. Starting investigation.",
]
FRONTLINE_NOTES = [
    "Standard troubleshooting done, no change.", "Checked the knowledge base: no article covers this case.",
    "Outside what frontline can approve; preparing the escalation.",
]
REPLIES = {
    "ack": ["Hello {first}, thank you for contacting us. We have logged your case and a specialist is on it.",
            "Hi {first}, we're sorry about this. Your case is with our team and we'll update you soon."],
    "moved": ["Hello {first}, your case is now with our {team} team, who will contact you shortly.",
              "Hi {first}, we've passed your case to {team} so the right people handle it."],
    "update": ["Hi {first}, a quick update: we're still working on this and will be in touch by tomorrow.",
               "Hello {first}, we have made progress and expect to have an answer shortly."],
    "ask": ["Hi {first}, could you send us {thing}? That will help us move faster.",
            "Hello {first}, to continue we need {thing} from you."],
    "done": ["Hello {first}, good news: this is now sorted. Let us know if anything else comes up.",
             "Hi {first}, we've resolved your case. Thank you for your patience."],
}
ASK_FOR = ["a photo of the error message", "a copy of the bill", "the date and time of the problem",
           "your bank statement line", "a screenshot", "the device model"]

REASONS = {
    "hierarchical": ["Beyond frontline authority: needs {team}.", "Troubleshooting exhausted; passing up to {team}.",
                     "Needs a decision above L{level}: escalating to {team}."],
    "functional": ["Needs {function} expertise: handing to {team}.", "Specialist work: routed across to {team}."],
    "time_based": ["Response target missed: SLA breach step escalates one level.",
                   "No update within the agreed window: SLA breach step."],
    "priority_based": ["{priority} impact ({why}): straight to {team}.", "{why}: urgent route to {team}."],
    "client_initiated": ["Customer asked for escalation by {channel}.",
                         "Customer requested a manager on {channel}; escalating to {team}."],
    "rule": ["Escalation matrix rule {rule} routes {type} to {team}."],
}
URGENT_WHY = {"security": "security incident", "executive": "VIP customer", "technical": "service outage"}
DE_ESCALATE = ["Senior review done; returned to {team} to finish.",
               "Approval given; back to {team} for the customer follow-up."]
PRIORITY_UP = ["Impact wider than first reported.", "Customer now threatening to cancel.",
               "Several customers affected."]
PRIORITY_DOWN = ["Workaround in place; impact reduced.", "Customer confirmed it is not urgent."]
PENDING_CUSTOMER = ["Waiting for the customer to send {thing}.", "Customer will call back with details."]
PENDING_VENDOR = ["Waiting on {vendor}.", "Ticket raised with {vendor}; awaiting their fix."]
CANCEL = ["Customer withdrew the complaint.", "Raised in error: not an escalation.",
          "Customer resolved it themselves and asked us to close."]
REOPEN = ["Customer reports the problem is back.", "The promised credit has not arrived.",
          "Customer not satisfied with the outcome."]
MERGE = ["Same issue reported twice by the customer.", "Duplicate raised from a second channel."]

APPROVAL_REASONS = {
    "compensation": ["Goodwill credit for the outage days, as agreed with the customer",
                     "Refund of the double charge plus a month's fee as a gesture",
                     "Compensation under the service guarantee in the client's terms"],
    "policy_exception": ["Waive the early-termination fee: the fault was ours",
                         "Accept the return outside the 30-day window after repeated faults",
                         "Keep the legacy tariff for a long-standing customer"],
}
CSAT_COMMENTS = ["", "", "Quick and helpful, thank you.", "Took too long to sort out.",
                 "Fixed in the end, but I had to chase.", "Great service from the team."]
