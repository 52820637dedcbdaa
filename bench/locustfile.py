"""Mixed read/write traffic for `make load` (driven by bench/load.py; loopback only).

Each simulated user paces itself to LOAD_USER_RPS requests per second, so users × rate is the
offered load. Mix: queue lists 40 %, detail 25 %, create 20 %, note 10 %, acknowledge 5 %.
Every 201 create's reference is written to LOAD_CREATED_FILE for the consistency check.
"""

from __future__ import annotations

import json
import os
import random

from locust import FastHttpUser, constant_throughput, events, task

TOKEN = os.environ["LOAD_TOKEN"]
TEAM = int(os.environ["LOAD_TEAM"])
REFERENCES = json.loads(os.environ.get("LOAD_REFERENCES", "[]"))
CREATED: list[str] = []


@events.test_stop.add_listener
def _write_created(**_):
    with open(os.environ["LOAD_CREATED_FILE"], "w") as f:
        json.dump(CREATED, f)


class Agent(FastHttpUser):
    wait_time = constant_throughput(float(os.environ.get("LOAD_USER_RPS", "10")))

    def on_start(self):
        self.headers = {"Authorization": f"Bearer {TOKEN}"}
        self.mine: list[str] = []

    def pick(self) -> str:
        return random.choice(self.mine[-20:]) if self.mine and random.random() < 0.5 else random.choice(REFERENCES)

    @task(40)
    def queue(self):
        query = random.choice(["status=open", f"status=open&team={TEAM}", "status=open&priority=P1",
                               "status=open&owner=none", ""])
        self.client.get(f"/api/v1/escalations?limit=50&{query}", headers=self.headers, name="list")

    @task(25)
    def detail(self):
        self.client.get(f"/api/v1/escalations/{self.pick()}", headers=self.headers, name="detail")

    @task(20)
    def create(self):
        body = {"title": "Customer reports a dropped line", "type": "technical", "priority": random.choice(
            ["P2", "P3", "P3", "P4"]), "channel": "api", "team": TEAM}
        with self.client.post("/api/v1/escalations", json=body, headers=self.headers, name="create",
                              catch_response=True) as r:
            if r.status_code == 201:
                ref = r.json()["reference"]
                CREATED.append(ref)
                self.mine.append(ref)
                r.success()
            else:
                r.failure(f"create answered {r.status_code}")

    @task(10)
    def note(self):
        self.client.post(f"/api/v1/escalations/{self.pick()}/notes", json={"body": "Called the customer."},
                         headers=self.headers, name="note")

    @task(5)
    def acknowledge(self):
        if not self.mine:
            return
        ref = self.mine.pop(0)
        with self.client.post(f"/api/v1/escalations/{ref}/acknowledge", json={}, headers=self.headers,
                              name="acknowledge", catch_response=True) as r:
            # Someone else may have acknowledged it first: 409 is the right answer then, not an error.
            if r.status_code in (200, 409):
                r.success()
