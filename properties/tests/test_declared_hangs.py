"""A rule the target declares not to return (``DOES_NOT_RETURN``, see
:mod:`properties.target`) is skipped everywhere else; here its statement runs in a
subprocess, and must still not return within :data:`GRACE_S` seconds after JAX is
imported. A rule that returns again fails this test, so that its declaration is
removed and the rule is checked.

Collected only for the rules a target declares (none for ``stable_ops``). Each costs
about :data:`GRACE_S` seconds of one core: the hang spins.
"""

import subprocess
import sys
import time

from properties.assertions import assert_true

#: Seconds a declared statement may run, once JAX is imported, before it counts as not
#: returning. A batch of two elements compiles and runs in well under a second when
#: it returns (measured: expi of 2 float32 elements, 0.2 s after import).
GRACE_S = 8.0


def test_declared_rule_still_does_not_return(declared_hang):
    name, why, statement = declared_hang
    program = f"import jax, numpy\nprint('imported', flush=True)\n{statement}\n"
    with subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True) as process:
        try:
            ready = process.stdout.readline()  # blocks until JAX is imported (or it failed)
            start = time.perf_counter()
            out, err = process.communicate(timeout=GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            return  # still does not return: the declaration stands
    seconds = time.perf_counter() - start
    assert_true(False,
                f"{name} is declared not to return (DOES_NOT_RETURN: {why}), but its "
                f"statement {'returned' if process.returncode == 0 else 'failed'} in "
                f"{seconds:.1f} s (exit {process.returncode}; {ready.strip()!r}; "
                f"stdout {out.strip()[-200:]!r}; stderr {err.strip()[-300:]!r}). Remove it "
                f"from DOES_NOT_RETURN so that the suite checks it; reproduce: "
                f"python -c {statement!r}")
