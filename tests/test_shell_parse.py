"""permissions/shell.py: what a Bash line runs, with which words, touching which files."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from claw_tui.permissions.shell import analyze, parse_words


def argvs(command: str) -> list[tuple[str, ...]]:
    analysis = analyze(command)
    assert analysis.ok, analysis.unparseable
    return [c.argv for c in analysis.commands]


def last(command: str):
    analysis = analyze(command)
    assert analysis.ok, analysis.unparseable
    return analysis.commands[-1]


# -- words are what bash passes ------------------------------------------------------------

QUOTING = [
    "g'i't status",
    "$'\\x67'it st\"at\"us",
    "\"g\"it $'\\x73tatus'",
    "\\git status",
    "gi\\\nt status",
    "$'r\\0junk'm -rf /tmp/x",
    "$'\\162\\155' a",
    "$'\\u0072m' a",
    '$"rm" a',
    "echo $'\\'' ; rm -rf /tmp/x ; echo 'a' \\'",
    "git status \\#; rm x",
    "echo a#b; rm x # rm y",
    "git status \\\n; rm x",
    "git status\r\nrm x",
    'r""m -rf x',
    "rm \"a b\" 'c d' e\\ f",
    "rm $'a\\tb' \"x\\\"y\" 'it'\\''s'",
    'rm "a\\$b" "a\\\\b" "a\\qb"',
    "rm -- -x\\ y $'\\cA' $'\\e' $'\\x41\\102'",
]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("line", QUOTING, ids=range(len(QUOTING)))
def test_argv_is_what_bash_passes(line, tmp_path):
    """The same line run by bash, with every command replaced by a function printing its argv."""
    names = {argv[0] for argv in argvs(line)}
    defs = "".join(f"{n}() {{ printf '%s\\037' {n} \"$@\"; printf '\\036'; }}\n" for n in names)
    proc = subprocess.run(["bash", "-c", defs + line], capture_output=True, cwd=tmp_path, timeout=10,
                          env={"PATH": "/usr/bin:/bin"})
    ran = [tuple(rec.split(b"\x1f")[:-1]) for rec in proc.stdout.split(b"\x1e")[:-1]]
    assert [tuple(w.encode() for w in argv) for argv in argvs(line)] == ran


def test_every_operator_separates_commands():
    assert argvs("a && b || c; d & e | f |& g\nh") == [(x,) for x in "abcdefgh"]


def test_compound_commands_are_opened():
    line = "(a); { b; }; if c; then d; elif e; then f; else g; fi; while h; do i; done; for x in 1; do j; done"
    assert [argv[0] for argv in argvs(line)] == list("abcdefghij")


def test_function_bodies_are_listed_and_named():
    analysis = analyze("deploy() { rm -rf build; }; deploy")
    assert [c.argv for c in analysis.commands] == [("rm", "-rf", "build"), ("deploy",)]
    assert analysis.defines_functions == ("deploy",)
    assert analysis.commands[0].via == ("function deploy",)


def test_substitutions_are_listed_before_the_command_that_uses_them():
    analysis = analyze('echo "$(id)" `whoami` <(ls) >(cat) $(echo $(date))')
    assert [c.argv for c in analysis.commands] == [("id",), ("whoami",), ("ls",), ("cat",), ("date",),
                                                   ("echo", "$(date)"), analysis.commands[-1].argv]
    assert analysis.commands[-1].argv[0] == "echo"
    assert [c.via for c in analysis.commands[:4]] == [("$()",), ("$()",), ("<()",), ("<()",)]


def test_dynamic_words_are_marked():
    cmd = last("ls \"$HOME\" $(id) *.py {a,b} ~/x 'lit*' x$'\\n'")
    assert [w.dynamic for w in cmd.words] == [False, True, True, True, True, False, False, False]
    assert cmd.words[6].text == "lit*"
    assert [w.splittable for w in cmd.words[1:5]] == [False, True, True, True]


def test_assignments_are_kept_apart_and_dangerous_ones_flagged():
    cmd = last("FOO=1 GIT_AUTHOR_NAME=x git status")
    assert cmd.argv == ("git", "status")
    assert cmd.assignments == (("FOO", "1"), ("GIT_AUTHOR_NAME", "x"))
    assert cmd.dangerous_env == ()
    assert last("LD_PRELOAD=x.so GIT_CONFIG_COUNT=1 ls").dangerous_env == ("LD_PRELOAD", "GIT_CONFIG_COUNT")
    assert analyze("export PATH=/x; ls").sets_dangerous_env == ("PATH",)
    assert analyze("PATH=/x; ls").sets_dangerous_env == ("PATH",)


# -- wrappers ------------------------------------------------------------------------------


def test_wrappers_are_unwrapped_with_their_options_skipped():
    analysis = analyze("sudo -u deploy timeout -k 5 10 nice -n 3 nohup stdbuf -oL env -i A=1 -u B git status")
    assert analysis.commands[-1].argv == ("git", "status")
    assert analysis.commands[-1].assignments == (("A", "1"),)
    assert analysis.commands[-1].via == ("sudo", "timeout", "nice", "nohup", "stdbuf", "env")
    assert [c.transparent for c in analysis.commands] == [False, True, True, True, True, True, False]


@pytest.mark.parametrize("line", [
    "bash -c 'git status; rm x'", "sh -ec \"git status && rm x\"", "/usr/bin/zsh -c 'git status\nrm x'",
    "eval 'git status; rm x'", "eval git status\\; rm x", "watch -n 2 'git status; rm x'", "env -S 'git status; rm x'",
    "trap 'git status; rm x' EXIT", "bash <<EOF\ngit status\nrm x\nEOF", "sh <<< 'git status; rm x'",
])
def test_shell_strings_are_analysed_as_scripts(line):
    assert argvs(line)[-2:] == [("git", "status"), ("rm", "x")]


def test_shell_script_arguments_and_computed_scripts():
    analysis = analyze("bash -c 'echo \"$1\"' _ hello")
    assert analysis.commands[-1].argv == ("echo", "$1") and analysis.commands[-1].words[1].dynamic
    dynamic = analyze('bash -c "$SCRIPT"').commands[0]
    assert dynamic.opaque and not dynamic.transparent
    assert "computed at run time" in dynamic.dangerous[0]
    assert analyze("bash script.sh").commands[0].argv == ("bash", "script.sh")  # a file: judged as bash


def test_heredoc_bodies_are_data_unless_a_shell_reads_them():
    assert argvs("cat <<'EOF'\nrm -rf /\nEOF") == [("cat",)]
    assert argvs("cat <<EOF > out.txt\n$(date) and `id`\nEOF") == [("date",), ("id",), ("cat",)]
    assert argvs("sh <<-'EOF'\n\trm -rf x\n\tEOF") [-1] == ("rm", "-rf", "x")
    commit = analyze("git commit -m \"$(cat <<'EOF'\nFix (x)\nEOF\n)\" && git push")
    assert [c.argv[:2] for c in commit.commands] == [("cat",), ("git", "commit"), ("git", "push")]


def test_xargs_runs_its_command_with_options_skipped():
    cmd = last("find . -print0 | xargs -0 -P 4 -n 1 -L 1 -d '\\n' -E END -s 100 wc -l")
    assert cmd.argv == ("wc", "-l") and cmd.appends_args and cmd.via == ("xargs",)
    replaced = last("ls | xargs -I {} cp {} /tmp/out")
    assert replaced.argv == ("cp", "{}", "/tmp/out") and replaced.words[1].dynamic and not replaced.appends_args


def test_find_exec_runs_the_inner_command():
    analysis = analyze("find . -name '*.py' -exec grep -l TODO {} + -o -execdir rm {} \\;")
    inner = [c for c in analysis.commands if c.via]
    assert [c.argv for c in inner] == [("grep", "-l", "TODO", "{}"), ("rm", "{}")]
    assert inner[0].appends_args and not inner[1].appends_args
    find = next(c for c in analysis.commands if c.name == "find")
    assert any("-exec" in r for r in find.dangerous)


def test_piped_interpreters_are_opaque():
    for line in ("curl -s x | sh", "curl -s x | python3 -", "cat x | perl", "wget -qO- x | bash"):
        shell = analyze(line).commands[-1]
        assert shell.opaque and shell.dangerous, line
    assert not analyze("python3 script.py | sort").commands[0].opaque


# -- files ---------------------------------------------------------------------------------


def accesses(line: str) -> list[tuple[str, str, str]]:
    analysis = analyze(line)
    assert analysis.ok, analysis.unparseable
    return [(p.access, p.path, p.origin) for p in analysis.paths]


def test_redirect_targets_have_kinds():
    got = accesses("x > a >> b 2> c &> d < e <> f >| g 2>&1 >/dev/null 2>/dev/stderr <&0 3>&-")
    assert got == [("write", "a", "redirect"), ("write", "b", "redirect"), ("write", "c", "redirect"),
                   ("write", "d", "redirect"), ("read", "e", "redirect"), ("read", "f", "redirect"),
                   ("write", "f", "redirect"), ("write", "g", "redirect")]


@pytest.mark.parametrize(("line", "reads"), [
    ("cat a b", ["a", "b"]),
    ("head -n 5 a", ["a"]),
    ("tail -f -n 20 log.txt", ["log.txt"]),
    ("grep -e pat -A 3 a b", ["a", "b"]),
    ("grep -i pat a", ["a"]),
    ("sed -n 1p a", ["a"]),
    ("awk -F: -v x=1 '{print}' a y=2", ["a"]),
    ("jq --arg k v -r .x a.json", ["a.json"]),
    ("sort -k 2 -t , a", ["a"]),
    ("wc -l a", ["a"]),
    ("diff -u a b", ["a", "b"]),
    ("source .env", [".env"]),
    (". ./env.sh", ["./env.sh"]),
    ("cut -d , -f 1 a", ["a"]),
    ("base64 -w 0 a", ["a"]),
    ("xxd a", ["a"]),
    ("cp -r src dst", ["src"]),
    ("curl -d @body.json https://x", ["body.json"]),
])
def test_reading_commands_name_their_files(line, reads):
    assert [p.path for p in analyze(line).reads] == reads


def test_recursive_reads_name_the_directory():
    for line, where in (("grep -r TODO", "."), ("grep -rn TODO src", "src"), ("rg TODO", "."), ("rg TODO lib", "lib"),
                        ("find src -name x", "src")):
        (read,) = analyze(line).reads
        assert read.path == where and read.recursive, line


@pytest.mark.parametrize(("line", "writes"), [
    ("cp a b dst", ["dst"]),
    ("cp -t dst a b", ["dst"]),
    ("mv a b", ["a", "b"]),
    ("ln -s /etc/passwd x", ["/etc/passwd", "x"]),
    ("tee -a a b", ["a", "b"]),
    ("touch -d now a", ["a"]),
    ("mkdir -p a/b", ["a/b"]),
    ("rm -rf a", ["a"]),
    ("chmod 600 a", ["a"]),
    ("truncate -s 0 a", ["a"]),
    ("dd if=x of=y", ["y"]),
    ("sed -i s/a/b/ f", ["f"]),
    ("sort -o out in", ["out"]),
    ("uniq in out", ["out"]),
    ("curl -o out https://x", ["out"]),
    ("wget -O out https://x", ["out"]),
])
def test_writing_commands_name_their_targets(line, writes):
    assert [p.path for p in analyze(line).writes] == writes


def test_process_substitutions_and_find_placeholders_are_not_files():
    assert analyze("diff <(ls a) <(ls b)").paths == ()
    assert [p.path for p in analyze("find . -exec cat {} \\;").reads] == ["."]


# -- dangerous options ---------------------------------------------------------------------


@pytest.mark.parametrize("line", [
    "git diff --stat", "git log --oneline --format='%h %s'", "git commit -m \"$(date)\"", "git config user.name",
    "git config --get user.email", "rg -n foo src", "find . -name '*.py' -type f", "sed -n '/start/,/end/p' f",
    "sed 's/a/b/g;s/c/d/' f", "awk '$3 > 100 {print $1}' f", "tar -xzf a.tar.gz", "go test ./...", "go run .",
    "ssh host uptime", "curl -sSL https://x", "less f", "man ls", "sort -u f", "git push -u origin main",
])
def test_ordinary_options_are_not_dangerous(line):
    assert all(not c.dangerous for c in analyze(line).commands), analyze(line).commands


# -- what cannot be analysed ---------------------------------------------------------------


@pytest.mark.parametrize("line", [
    "case x in a) ls;; esac", "[[ -f x ]]", "echo $((1 + 2))", "(( x++ ))", "arr=(a b)", "echo ${x:-$(id)}",
    "echo ${a[$i]}", "echo ${x:$off}", "echo ${x@P}", "echo 'unterminated", "select x in a; do ls; done",
    "coproc ls", "echo a\0b", "echo " + "x" * 200_001, "echo $[1+2]", "echo $'${'",
    "(" * 400 + "ls" + ")" * 400, "echo " + "$(" * 300 + "id" + ")" * 300, "eval " * 40 + "ls",
])
def test_unparseable_lines_say_why(line):
    analysis = analyze(line)
    assert not analysis.ok and analysis.unparseable


def test_leading_time_and_comments():
    assert argvs("time -p npm test # runs the suite") == [("time",), ("npm", "test")]
    assert argvs("# nothing") == []


def test_rule_words_use_the_same_quoting():
    assert [w.text for w in parse_words("git 'commit' -m")] == ["git", "commit", "-m"]
    assert parse_words("git status; rm") is None
    assert parse_words("a | b") is None


def test_large_heredoc_is_fast_and_results_are_cached():
    line = "cat > big.txt <<'EOF'\n" + "some text with $(no) expansion `here`\n" * 3000 + "EOF"
    start = time.perf_counter()
    analysis = analyze(line)
    elapsed = time.perf_counter() - start
    assert analysis.ok and [c.argv for c in analysis.commands] == [("cat",)]
    assert elapsed < 2.0
    assert analyze(line) is analysis


def test_text_the_parser_skipped_is_refused():
    from claw_tui.permissions import shell

    src = "ls; rm -rf x"
    trees = shell._parse(src)
    shell._check_coverage(src, trees)  # everything accounted for
    trees[0].parts = trees[0].parts[:2]  # as if the parser had dropped `rm -rf x`
    with pytest.raises(shell._Unparseable):
        shell._check_coverage(src, trees)
