"""`make demo`'s scenario, step by step, against the local runtime over real HTTP."""

from local_runtime.demo_scenario import DemoScenario, Transcript
from tests.e2e.conftest import LocalStackProcess


def test_the_demo_scenario_behaves_as_described(local_stack: LocalStackProcess) -> None:
    lines: list[str] = []
    transcript = Transcript(out=lines.append)

    succeeded = DemoScenario(local_stack.base_url, transcript).run()

    assert transcript.failures == [], "\n".join(lines)
    assert succeeded
    # Every part of the scenario ran (a part that cannot go on stops the ones after it).
    assert sum(line.lstrip().startswith("== ") for line in lines) == 7, "\n".join(lines)
    assert sum("[ok]" in line for line in lines) >= 25, "\n".join(lines)
