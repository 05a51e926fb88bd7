"""The demo seed: one club with a 24-hour plan, a class-only plan and three members."""

from typing import Any

DEMO_API_KEY = "pushpress-demo-key-0123456789abcdef"
DEMO_COMPANY_NAME = "Demo Barbell Club"


def demo_seed() -> dict[str, Any]:
    return {
        "companies": [
            {
                "ref": "demo",
                "name": DEMO_COMPANY_NAME,
                "subdomain": "demobarbell",
                "api_keys": [DEMO_API_KEY],
                "plans": [
                    {
                        "ref": "unlimited_24h",
                        "name": "Unlimited + 24/7",
                        "allow_24_hour_access": True,
                    },
                    {"ref": "classes", "name": "Classes Only"},
                ],
                "customers": [
                    {
                        "ref": "maya",
                        "email": "maya.okafor@example.com",
                        "first": "Maya",
                        "last": "Okafor",
                    },
                    {
                        "ref": "jordan",
                        "email": "jordan.lee@example.com",
                        "first": "Jordan",
                        "last": "Lee",
                    },
                    {
                        "ref": "sam",
                        "email": "Sam.Rivera@Example.com",
                        "first": "Sam",
                        "last": "Rivera",
                    },
                ],
                "enrollments": [
                    {
                        "ref": "maya_24h",
                        "customer": "maya",
                        "plan": "unlimited_24h",
                        "start_date": "2025-01-06",
                    },
                    {
                        "ref": "jordan_classes",
                        "customer": "jordan",
                        "plan": "classes",
                        "start_date": "2025-02-01",
                    },
                    {
                        "ref": "sam_24h",
                        "customer": "sam",
                        "plan": "unlimited_24h",
                        "status": "pendcancel",
                        "start_date": "2024-11-01",
                        "end_date": "2025-04-30",
                    },
                ],
            }
        ]
    }
