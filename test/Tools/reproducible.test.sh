#!/bin/sh
# reproducible.test's compiles: OUT MODEL CWD [flags...]: every --emit kind
# and external weights, into OUT, run from CWD.
set -e
out=$1 model=$2 cwd=$3
shift 3
cd "$cwd"
ingotc "$model" --emit=exe -o "$out/chat" "$@"
ingotc "$model" --emit=lib -o "$out/libchat.a" "$@"
ingotc "$model" --emit=obj -o "$out/chat.o" "$@"
ingotc "$model" --emit=asm -o "$out/chat.s" "$@"
ingotc "$model" --emit=llvm -o "$out/chat.ll" "$@"
ingotc "$model" --emit=exe --weights=external -o "$out/ext" "$@"
ingotc "$model" --emit=lib --weights=external -o "$out/libext.a" "$@"
