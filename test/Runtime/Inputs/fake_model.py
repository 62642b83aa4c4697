#!/usr/bin/env python3
"""What ingot-fake-chat (test/runtime/fake_model.h) must print, computed
independently of the C code, and its external weights files.

  fake_model.py generate N PROMPT_FILE [--no-display-prompt] [--ctx C]
                [--context-shift [--keep K]]
  fake_model.py chat N TURNS_FILE [--llama2] [--system TEXT]
                (one user turn per line)
  fake_model.py weights PATH [--size N] [--magic M] [--model-id ID]
"""
import struct
import sys

SPECIALS = {b"<|endoftext|>": 0, b"<|im_start|>": 1, b"<|im_end|>": 2}
STOPS = (0, 2)  # <|endoftext|> and <|im_end|> (also EOS) end a turn
MAX_CTX = 256
SYSTEM = b"<|im_start|>system\nYou are a fake model.<|im_end|>\n"


def tokenize(text):
    """Special tokens by their text, every other byte b as 3 + b."""
    ids, i = [], 0
    while i < len(text):
        for special, id in SPECIALS.items():
            if text.startswith(special, i):
                ids.append(id)
                i += len(special)
                break
        else:
            ids.append(3 + text[i])
            i += 1
    return ids


def next_token(context):
    s = 0
    for j, t in enumerate(context):
        s = (s + t * (j + 1)) % 1000003
    h = ((s * 2654435761) & 0xFFFFFFFF) >> 16
    return 2 if h % 27 == 26 else 3 + ord("a") + h % 27


def generate(context, n, ctx=MAX_CTX, keep=None):
    """Greedy tokens after `context` (extended in place) as the CLI runs
    them: (bytes, the last token not in the context or -1, stopped). With
    `keep` (--context-shift), a full context keeps its first `keep` tokens
    and drops half of the others, the oldest."""
    out, i = b"", 0
    while n < 0 or i < n:
        t = next_token(context)
        if t in STOPS:
            return out, t, True
        out += bytes([t - 3])
        i += 1
        if n >= 0 and i == n:
            return out, t, False
        if len(context) == ctx:
            keep_n = min(keep if keep is not None else ctx, len(context))
            discard = (len(context) - keep_n) // 2
            if discard == 0:
                return out, t, False
            del context[keep_n:keep_n + discard]
        context.append(t)
    return out, -1, False


def option(argv, name, default=None):
    return argv[argv.index(name) + 1] if name in argv else default


def main(argv):
    out = sys.stdout.buffer
    if argv[1] == "generate":
        prompt = open(argv[3], "rb").read()
        context = tokenize(prompt)
        keep = None
        if "--context-shift" in argv:
            keep = int(option(argv, "--keep", "0"))
            keep = len(context) if keep < 0 else min(keep, len(context))
        text, _, _ = generate(context, int(argv[2]),
                              int(option(argv, "--ctx", MAX_CTX)), keep)
        display = "--no-display-prompt" not in argv
        out.write((prompt if display else b"") + text + b"\n")
    elif argv[1] == "chat":
        context, pending, ended, first = [], -1, False, True
        system = option(argv, "--system")
        system = system.encode() if system is not None else None
        for line in open(argv[3], "rb").read().split(b"\n"):
            line = line.rstrip(b"\r")
            if not line:
                continue
            turn = [pending] if pending >= 0 else []
            if "--llama2" in argv:
                # <s>[INST] user [/INST] answer</s><s>[INST] ...: BOS is
                # token 1, EOS token 2.
                if not first and not ended:
                    turn += [2]
                sys_block = (b"<<SYS>>\n" + system + b"\n<</SYS>>\n\n"
                             if first and system else b"")
                turn += [1] + tokenize(b"[INST] " + sys_block + line +
                                       b" [/INST]")
            else:
                if not first and not ended:
                    turn += tokenize(b"<|im_end|>")
                if not first:
                    turn += tokenize(b"\n")
                elif system is None:
                    turn += tokenize(SYSTEM)
                elif system:
                    turn += tokenize(b"<|im_start|>system\n" + system +
                                     b"<|im_end|>\n")
                turn += tokenize(b"<|im_start|>user\n" + line +
                                 b"<|im_end|>\n<|im_start|>assistant\n")
            first = False
            context += turn
            text, pending, ended = generate(context, int(argv[2]))
            out.write(text + b"\n")
    elif argv[1] == "weights":
        opts = dict(zip(argv[3::2], argv[4::2]))
        magic = opts.get("--magic", "INGOTWT1").encode()
        model_id = int(opts.get("--model-id", "0x1234567890abcdef"), 0)
        data = struct.pack("<8sQQ40x", magic, 256, model_id)
        data += bytes((i * 37 + 11) & 255 for i in range(256))
        size = int(opts.get("--size", len(data)))
        data = (data + b"\0" * size)[:size]
        open(argv[2], "wb").write(data)
    else:
        sys.exit("unknown command " + argv[1])


if __name__ == "__main__":
    main(sys.argv)
