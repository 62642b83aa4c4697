#!/usr/bin/env python3
"""Checks that an `ingotc --report=FILE.html` page is well formed and self
contained, and prints what it holds for FileCheck:

  check-report-html.py REPORT.html

It also prints the tallest memory-plan buffer's share of the plot's height
and the number of axis breaks (shortened stretches of the offset axis).

Well formed: every element closed in order (HTML void elements aside), one
<html>, no <script>, nothing loaded from elsewhere (no src=, no href= or
url() other than in-page anchors). Exits 1 with one line otherwise.
Standard library only (the test suite runs on system python3).
"""
import html.parser
import re
import sys

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}


class Checker(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.counts = {}
        self.classes = {}
        self.ids = {}
        self.errors = []
        self.in_id = None
        self.text = {}
        self.buffer_heights = []
        self.frame_height = 0

    def handle_starttag(self, tag, attrs):
        self.counts[tag] = self.counts.get(tag, 0) + 1
        attrs = dict(attrs)
        if tag == "rect" and attrs.get("class") == "buf":
            self.buffer_heights.append(float(attrs.get("height", 0)))
        if tag == "rect" and attrs.get("id") == "memory-frame":
            self.frame_height = float(attrs.get("height", 0))
        if tag == "script":
            self.errors.append("has a <script>")
        if "src" in attrs:
            self.errors.append("loads %s" % attrs["src"])
        if "href" in attrs and not attrs["href"].startswith("#"):
            self.errors.append("links %s" % attrs["href"])
        for cls in (attrs.get("class") or "").split():
            key = tag + "." + cls
            self.classes[key] = self.classes.get(key, 0) + 1
        if "id" in attrs:
            self.ids[attrs["id"]] = tag
            self.in_id = attrs["id"]
            self.text[self.in_id] = ""
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes <%s> at line %d" % (
                tag, self.stack[-1] if self.stack else "nothing",
                self.getpos()[0]))
            return
        self.stack.pop()
        self.in_id = None

    def handle_data(self, data):
        if self.in_id is not None:
            self.text[self.in_id] += data


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    checker = Checker()
    checker.feed(text)
    checker.close()
    if not text.startswith("<!DOCTYPE html>"):
        checker.errors.append("no <!DOCTYPE html>")
    if checker.stack:
        checker.errors.append("unclosed: " + " ".join(checker.stack))
    if checker.counts.get("html") != 1:
        checker.errors.append("not one <html>")
    if re.search(r"url\(|@import", text):
        checker.errors.append("CSS loads something")
    if checker.errors:
        print("check-report-html: %s: %s" % (sys.argv[1], checker.errors[0]))
        return 1
    print("well formed")
    print("svg: %d" % checker.counts.get("svg", 0))
    for section in ["invocation", "model", "weights", "memory", "kernels",
                    "stages", "passes", "routing", "memory-svg",
                    "weights-svg", "peak"]:
        if section in checker.ids:
            print("section: %s" % section)
    print("buffers: %d" % checker.classes.get("rect.buf", 0))
    print("weight bars: %d" % checker.classes.get("rect.wbar", 0))
    print("op kernels: %d" % checker.classes.get("tr.opk", 0))
    print("arena: %s" % checker.text.get("arena-bytes", "").strip())
    print("command line: %s" % checker.text.get("command-line", "").strip())
    print("largest buffer: %s" % checker.text.get("largest-buffer", "").strip())
    # The tallest buffer of the memory plan as a share of the plot's height
    # (a chart where one buffer takes it all leaves the others slivers).
    if checker.frame_height and checker.buffer_heights:
        print("tallest buffer: %d%% of the plot" % int(
            100 * max(checker.buffer_heights) / checker.frame_height))
    print("axis breaks: %d" % checker.classes.get("g.axis-break", 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
