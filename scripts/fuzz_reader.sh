#!/usr/bin/env sh
# The big fuzz run over the upload reader, validation and zip member handling (issue 7): every fuzz test
# of roster_pipeline_tests/upload/test_csv_reader_properties.py with N examples (default 100000), and
# hypothesis' statistics per test. A failure prints the smallest input that crashes; turn it into a test
# in roster_pipeline_tests/upload/test_reader_regressions.py.
#
#   scripts/fuzz_reader.sh            # 100k examples per test: hours on one core (validation is slowest)
#   scripts/fuzz_reader.sh 5000       # a quicker look
#   scripts/fuzz_reader.sh 100000 -k zip   # more pytest arguments select tests
set -eu
cd "$(dirname "$0")/.."
examples="${1:-100000}"
[ $# -gt 0 ] && shift
ROSTER_FUZZ_EXAMPLES="$examples" exec .venv/bin/python -m pytest \
    roster_pipeline_tests/upload/test_csv_reader_properties.py -k fuzz -q -p no:cacheprovider \
    --hypothesis-show-statistics "$@"
