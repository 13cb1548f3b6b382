"""Runs OASIS stix2-validator on files and prints one JSON line per file:
{"file": ..., "valid": bool, "messages": [...]}.

Modes (chosen by the Rust tests, see tests/it/oasis.rs):
  bundle  -- --strict with check 103 (uuid-check) disabled: every error and every other
             best-practice warning fails.
  all     -- --strict with every check (used to show that 103 is the only difference).
  corpus  -- --strict --enable 102: all MUST checks plus the custom-prefix-lax SHOULD check,
             which is the set of rules yamori_intel::validate claims.
"""
import json
import sys

from stix2validator import ValidationOptions, validate_file


def main():
    mode, files = sys.argv[1], sys.argv[2:]
    if mode == "bundle":
        options = ValidationOptions(version="2.1", strict=True, disabled="103", silent=True)
    elif mode == "all":
        options = ValidationOptions(version="2.1", strict=True, silent=True)
    elif mode == "corpus":
        options = ValidationOptions(version="2.1", strict=True, enabled="102", silent=True)
    else:
        raise SystemExit("unknown mode " + mode)
    for path in files:
        result = validate_file(path, options)
        messages = []
        if result.fatal:
            messages.append(str(result.fatal))
        for obj in result.object_results or []:
            messages += [str(e) for e in obj.errors or []]
            messages += ["warning: " + str(w) for w in obj.warnings or []]
        print(json.dumps({"file": path, "valid": bool(result.is_valid), "messages": messages}))


if __name__ == "__main__":
    main()
