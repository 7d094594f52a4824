"""Commands exercising the pure formats: artifacts, deltas, compression, hashes.

Same argument shapes and standard output as Fossil 2.21's commands of the
same names.  Where Fossil silently writes garbage for garbage input
(``test-uncompress`` copies undecodable input through, ``test-delta-apply``
writes whatever it got), these report the error and exit 1 without writing
the output file; ``test-parse-manifest`` prints Fossil's two report lines and
then also fails with exit status 1 when the artifact does not parse.
"""

from __future__ import annotations

import os
import re
import sys

import click

from fossilpy.cli.common import command
from fossilpy.errors import ArtifactError, UserError
from fossilpy.text import is_digits


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None


def _write(path: str, data: bytes) -> None:
    try:
        with open(path, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror}") from None


@command("test-parse-manifest")
@click.argument("filename")
@click.argument("count", required=False, default="1")
def test_parse_manifest_cmd(filename: str, count: str) -> None:
    """Parse FILENAME as a structural artifact (COUNT times) and report errors."""
    from fossilpy.artifact import manifest

    data = _read(filename)
    digits = re.match(r"\s*[-+]?\d+", count)  # atoi()
    n = int(digits.group()) if digits else 0
    well_formed = manifest.looks_structural(data) and manifest.parse_or_none(data) is not None
    click.echo(
        "manifest_is_well_formed() reports the input "
        + ("is ok" if well_formed else "contains errors")
    )
    error: ArtifactError | None = None
    for i in range(n):
        try:
            manifest.parse(data)
            ok = True
        except ArtifactError as exc:
            error, ok = exc, False
            click.echo(f"ERROR: {exc}")
        if ok and (i == 0 or (n == 2 and i == 1)):
            click.echo("manifest_parse() worked")
        elif ok and i == n - 1:
            click.echo(f"manifest_parse() worked {n - 1} more times")
        if ok != well_formed:
            click.echo("ERROR: manifest_is_well_formed() and manifest_parse() disagree!")
    if error is not None:
        raise error


@command("test-delta-create")
@click.argument("origin")
@click.argument("target")
@click.argument("delta")
def test_delta_create_cmd(origin: str, target: str, delta: str) -> None:
    """Write into DELTA a delta that turns ORIGIN into TARGET."""
    from fossilpy.artifact import delta as deltamod

    _write(delta, deltamod.create(_read(origin), _read(target)))


@command("test-delta-apply")
@click.argument("origin")
@click.argument("delta")
@click.argument("target")
def test_delta_apply_cmd(origin: str, delta: str, target: str) -> None:
    """Apply DELTA to ORIGIN and write the result into TARGET."""
    from fossilpy.artifact import delta as deltamod

    _write(target, deltamod.apply(_read(origin), _read(delta)))


@command("test-compress")
@click.argument("inputfile")
@click.argument("outputfile")
def test_compress_cmd(inputfile: str, outputfile: str) -> None:
    """Compress INPUTFILE into OUTPUTFILE (4-byte size + zlib)."""
    from fossilpy.artifact import blob

    _write(outputfile, blob.compress(_read(inputfile)))


@command("test-uncompress")
@click.argument("inputfile")
@click.argument("outputfile")
def test_uncompress_cmd(inputfile: str, outputfile: str) -> None:
    """Undo test-compress: uncompress INPUTFILE into OUTPUTFILE."""
    from fossilpy.artifact import blob

    _write(outputfile, blob.uncompress(_read(inputfile), what=inputfile))


def _content(name: str, dereference: bool) -> bytes | None:
    """File content to hash: stdin for "-", the link text of a symlink."""
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        if not dereference and os.path.islink(name):
            return os.fsencode(os.readlink(name))
        with open(name, "rb") as fh:
            return fh.read()
    except OSError:
        return None


@command("sha1sum", context_settings={"help_option_names": ["--help"]})
@click.option("-h", "--dereference", is_flag=True, help="Hash what a symlink points to.")
@click.argument("files", nargs=-1)
def sha1sum_cmd(dereference: bool, files: tuple[str, ...]) -> None:
    """Print the SHA1 hash of each FILE ("-" is standard input)."""
    import hashlib

    for name in files:
        data = _content(name, dereference)
        digest = "*" * 14 + " not found " + "*" * 15 if data is None else hashlib.sha1(data).hexdigest()
        click.echo(f"{digest}  {name}")


_SHA3 = {224: "sha3_224", 256: "sha3_256", 384: "sha3_384", 512: "sha3_512"}


@command("sha3sum", context_settings={"help_option_names": ["--help"]})
@click.option("-h", "--dereference", is_flag=True, help="Hash what a symlink points to.")
@click.option("--224", "s224", is_flag=True, help="SHA3-224.")
@click.option("--256", "s256", is_flag=True, help="SHA3-256 (the default).")
@click.option("--384", "s384", is_flag=True, help="SHA3-384.")
@click.option("--512", "s512", is_flag=True, help="SHA3-512.")
@click.option("--size", "size", default=None, metavar="N", help="An N-bit hash.")
@click.argument("files", nargs=-1)
def sha3sum_cmd(
    dereference: bool,
    s224: bool,
    s256: bool,
    s384: bool,
    s512: bool,
    size: str | None,
    files: tuple[str, ...],
) -> None:
    """Print the SHA3 hash of each FILE ("-" is standard input)."""
    import hashlib

    bits = 224 if s224 else 256 if s256 else 384 if s384 else 512 if s512 else 256
    if not (s224 or s256 or s384 or s512) and size is not None:
        n = int(size) if is_digits(size.lstrip("-")) else 0
        if n % 32 or not 128 <= n <= 512:
            raise UserError("--size must be a multiple of 64 between 128 and 512")
        if n not in _SHA3:
            raise UserError(f"--size {n} is not supported; use 224, 256, 384 or 512")
        bits = n
    algo = _SHA3[bits]
    for name in files:
        data = _content(name, dereference)
        if data is None:
            raise UserError(f"Cannot read file: {name}")
        click.echo(f"{hashlib.new(algo, data).hexdigest()}  {name}")
