"""The batch-file reader: continuation, variables, substitution, includes, and its errors."""

import io

import pytest

from hsmshell.modes.batchfile import BatchFileError, read_batch


def statements(path, environ=None):
    return [(s.text, s.source.rsplit("/", 1)[-1]) for s in read_batch(str(path), environ or {}).statements]


def test_comments_blank_lines_and_continuation(tmp_path):
    batch = tmp_path / "b.hsm"
    batch.write_text("# setup\n\nloginHSM CO admin \\\n    -hpswd\n  listUsers  \ngenSymKey -t 31 \\\n -s 32 \\\n -l k1\n")
    assert statements(batch) == [("loginHSM CO admin -hpswd", "b.hsm:3"), ("listUsers", "b.hsm:5"),
                                 ("genSymKey -t 31 -s 32 -l k1", "b.hsm:6")]


def test_set_and_substitution_of_variables_and_environment(tmp_path):
    batch = tmp_path / "b.hsm"
    batch.write_text('set USER alice\nset LABEL "key of ${USER}"\ncreateUser CU ${USER} @env:PW\n'
                     'genSymKey -l "${LABEL}" -u ${env:SHARE}\necho $$HOME ${USER}x\n')
    script = read_batch(str(batch), {"SHARE": "5,6"})
    assert [s.text for s in script.statements] == [
        "createUser CU alice @env:PW", 'genSymKey -l "key of alice" -u 5,6', "echo $HOME alicex"]
    assert script.statements[1].env_values == ("5,6",)
    assert script.variables == {"USER": "alice", "LABEL": "key of alice"}


@pytest.mark.parametrize("text, message", [
    ("listUsers ${NOPE}\n", "b.hsm:1: variable NOPE is not set"),
    ("listUsers\nx ${env:MISSING_VAR}\n", "b.hsm:2: environment variable MISSING_VAR is not set"),
    ("set 9x value\n", "b.hsm:1: `set` needs a variable name"),
    ("listUsers \\\n", "b.hsm:1: the file ends inside a `\\` continuation"),
    ("source\n", "b.hsm:1: `source` needs a file name"),
    ("source missing.hsm\n", "b.hsm:1: cannot read the batch file"),
])
def test_mistakes_in_the_file_name_the_line(tmp_path, text, message):
    batch = tmp_path / "b.hsm"
    batch.write_text(text)
    with pytest.raises(BatchFileError) as caught:
        read_batch(str(batch), {})
    assert message in caught.value.message
    assert caught.value.reference == "batch-file-error" and caught.value.status == 2


def test_source_is_relative_to_the_including_file_and_shares_variables(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "users.hsm").write_text("createUser CU ${NAME} @keyring\nsource more/last.hsm\n")
    (tmp_path / "lib" / "more").mkdir()
    (tmp_path / "lib" / "more" / "last.hsm").write_text("set AFTER yes\nlistUsers\n")
    main = tmp_path / "main.hsm"
    main.write_text("set NAME bob\nsource lib/users.hsm\nloginHSM CU bob @keyring # ${AFTER}\n")
    found = read_batch(str(main), {}).statements
    assert [s.text for s in found] == ["createUser CU bob @keyring", "listUsers", "loginHSM CU bob @keyring # yes"]
    assert found[0].source.endswith("users.hsm:1") and found[1].source.endswith("last.hsm:2")
    assert found[2].source.endswith("main.hsm:3")


def test_source_cycles_are_refused(tmp_path):
    (tmp_path / "a.hsm").write_text("listUsers\nsource b.hsm\n")
    (tmp_path / "b.hsm").write_text("source ./a.hsm\n")
    with pytest.raises(BatchFileError) as caught:
        read_batch(str(tmp_path / "a.hsm"), {})
    assert "source cycle: a.hsm -> b.hsm -> a.hsm" in caught.value.message


def test_standard_input_is_a_batch_file_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "inc.hsm").write_text("listUsers\n")
    script = read_batch("-", {}, io.StringIO("set X 1\nsource inc.hsm\ninfo server ${X}\n"))
    assert [(s.text, s.source) for s in script.statements] == [("listUsers", "inc.hsm:1"),
                                                               ("info server 1", "<stdin>:3")]


def test_binary_file_is_refused(tmp_path):
    batch = tmp_path / "b.hsm"
    batch.write_bytes(b"listUsers\n\xff\xfe\n")
    with pytest.raises(BatchFileError, match="not UTF-8"):
        read_batch(str(batch), {})
