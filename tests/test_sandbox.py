"""The checker sandbox on its own: what :func:`contained_call` reports and what it leaves behind."""
from backprop import sandbox


def test_a_file_over_the_size_limit_is_reported(tmp_path):
    big = tmp_path / "big.bin"

    def writes_two_megabytes():
        with open(big, "wb") as file:
            file.write(b"x" * (2 << 20))
        return "written"

    outcome = sandbox.contained_call(writes_two_megabytes, ())
    assert outcome.problem == "your function wrote a file larger than 1 MB"
    assert big.stat().st_size <= sandbox.FILE_SIZE
