"""What the checks on free text cost a save: `python -m bench.free_text`.

For texts a person types (a short rationale, a long risk description, the longest harm report; plain English,
with digits and phone numbers, and with emoji and accents), the time per call of:
- baseline: `str.encode("utf-8")`, the least any save does with the text;
- `unstorable`: lone surrogates, control and format characters, every default-ignorable code point;
- `free_text_problem`: that, and an NHS number (core.records.nhs_numbers).
Each figure is the range over RUNS runs of the best of several repeats, measured in the same run."""

from __future__ import annotations

import argparse
import timeit

from core.platform.input_checks import free_text_problem, unstorable

RUNS = 3
SENTENCE = "Only one registrar for 40 patients overnight; sepsis reviews will wait (bleep 2345, 0161 276 1234). "
TEXTS = {
    "rationale, 120 chars": SENTENCE[:120],
    "risk, 2,000 chars": (SENTENCE * 20)[:2000],
    "harm report, 8,000 chars, emoji and accents": (SENTENCE + "Café 🧑\u200d⚕️ naïve. ") * 66,
}
CHECKS = {
    "baseline: encode": lambda text: text.encode("utf-8"),
    "unstorable": unstorable,
    "free_text_problem": free_text_problem,
}


def run(runs: int = RUNS) -> list[tuple[str, str, float, float]]:
    rows = []
    for label, text in TEXTS.items():
        for name, check in CHECKS.items():
            number = 200
            times = [
                min(timeit.repeat(lambda check=check, text=text: check(text), number=number, repeat=5)) / number
                for _ in range(runs)
            ]
            rows.append((label, name, min(times) * 1e6, max(times) * 1e6))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.free_text", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args(argv)
    print(f"{'text':45} {'check':20} µs per call (range over {args.runs} runs)")
    for label, name, low, high in run(args.runs):
        print(f"{label:45} {name:20} {low:9.1f} – {high:.1f}")


if __name__ == "__main__":
    main()
