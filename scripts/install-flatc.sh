#!/usr/bin/env bash
# Installs flatc (Debian's flatbuffers-compiler) when it is missing; the freshness test of the
# generated TFLite schema accessors regenerates them with it.
set -euo pipefail
if flatc --version 2>/dev/null | grep -q "flatc version 2.0.8"; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq flatbuffers-compiler >/dev/null
flatc --version
