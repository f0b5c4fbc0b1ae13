#!/usr/bin/env python3
"""Size limits of issue 13: no source file over --max-file lines, no function over --max-function
lines (tests and benchmarks excluded unless --tests). Prints the offenders, longest first;
exits 1 when there are any. The function finder is a brace matcher over C++ text with comments
and string literals blanked: it counts a function from the line of its opening brace's
signature to its closing brace (lambdas are counted inside their enclosing function)."""
import argparse, pathlib, re, sys

ROOTS = ["app", "engine", "experiments", "widgets"]


def blank(text):
    """Comments, strings and char literals replaced by spaces (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i)); i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(" " * (j + 1 - i)); i = j + 1
        else:
            out.append(c); i += 1
    return "".join(out)


KEYWORDS = re.compile(r"\b(if|for|while|switch|catch|return)\s*\($")


def functions(text):
    """(name, first line, last line) of each top-level function body."""
    code = blank(text)
    found, depth, stack = [], 0, []
    for i, c in enumerate(code):
        if c == "{":
            head = code[max(0, i - 400):i]
            last = head.rstrip()
            while True:  # trailing qualifiers: "f() const override {"
                word = re.search(r"\b(const|noexcept|override|final)$", last)
                if not word:
                    break
                last = last[:word.start()].rstrip()
            is_fn, name = False, None
            if last.endswith(")"):
                paren = last.rfind(")")
                # the matching '(' of the signature's ')'
                d, k = 0, paren
                while k >= 0:
                    if last[k] == ")": d += 1
                    elif last[k] == "(":
                        d -= 1
                        if d == 0: break
                    k -= 1
                before = last[:k].rstrip()
                name = re.search(r"([~\w:]+|operator\W+)\s*$", before)
                if name and not KEYWORDS.search(before + "(") and not before.endswith("]") \
                        and name.group(1) not in ("if", "for", "while", "switch", "catch"):
                    is_fn = True
            inside_fn = any(s[0] for s in stack)
            stack.append((is_fn and not inside_fn, i, name.group(1) if is_fn and name else ""))
        elif c == "}" and stack:
            fn, start, nm = stack.pop()
            if fn:
                first = code.count("\n", 0, code.rfind("\n", 0, start) + 1) + 1
                # count from the line that holds the signature's name
                sig_start = code.rfind(nm, max(0, start - 400), start) if nm else start
                first = code.count("\n", 0, sig_start) + 1
                found.append((nm, first, code.count("\n", 0, i) + 1))
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--max-file", type=int, default=600)
    ap.add_argument("--max-function", type=int, default=80)
    ap.add_argument("--tests", action="store_true", help="also check tests/ (not benchmarks)")
    ap.add_argument("--root", default=".")
    a = ap.parse_args()
    roots = ROOTS + (["tests"] if a.tests else [])
    bad = []
    for r in roots:
        for p in sorted(pathlib.Path(a.root, r).rglob("*")):
            if p.suffix not in (".cpp", ".h") or "/bench/" in str(p) or "/fuzz/" in str(p):
                continue
            text = p.read_text(errors="replace")
            lines = text.count("\n")
            if lines > a.max_file:
                bad.append((lines, f"{p}: {lines} lines (file limit {a.max_file})"))
            for name, first, last in functions(text):
                if last - first + 1 > a.max_function:
                    bad.append((last - first + 1,
                                f"{p}:{first}: {name}: {last - first + 1} lines "
                                f"(function limit {a.max_function})"))
    for _, line in sorted(bad, reverse=True):
        print(line)
    print(f"size check: {len(bad)} over the limits" if bad else "size check: every file and function within the limits")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
