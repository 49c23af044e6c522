"""Tests for fcnn.storage.atomic: atomic writes (re-exported by fcnn.storage)."""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from fcnn import storage
from fcnn.storage import atomic

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_atomic_write_bytes_replaces_content_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    storage.atomic_write_bytes(target, b"new" * 1000)
    assert target.read_bytes() == b"new" * 1000
    assert _leftovers(tmp_path, {"a.bin"}) == []


def test_atomic_write_text_round_trips_unicode_without_newline_translation(tmp_path):
    target = tmp_path / "a.txt"
    storage.atomic_write_text(target, "ŷ = σ(a)\r\nline\n")
    assert target.read_bytes() == "ŷ = σ(a)\r\nline\n".encode()


def test_atomic_path_yields_temp_beside_target_with_same_suffix(tmp_path):
    target = tmp_path / "fig.png"
    with storage.atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".png" and tmp != target
        tmp.write_bytes(b"png")
        assert not target.exists()
    assert target.read_bytes() == b"png"
    assert _leftovers(tmp_path, {"fig.png"}) == []


def test_atomic_write_fsyncs_file_and_folder(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    storage.atomic_write_bytes(tmp_path / "a.bin", b"x")
    assert len(synced) >= (1 if sys.platform == "win32" else 2)


def test_failed_replace_keeps_old_file_and_removes_temp(tmp_path, monkeypatch):
    target = tmp_path / "model.safetensors"
    target.write_bytes(b"old")

    def broken_replace(src, dst):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="previous file is intact") as info:
        storage.atomic_write_bytes(target, b"new")
    assert str(target) in str(info.value)
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path, {"model.safetensors"}) == []


def test_exception_inside_atomic_path_keeps_old_file_and_removes_temp(tmp_path):
    target = tmp_path / "fig.png"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="drawing failed"):
        with storage.atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("drawing failed")
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path, {"fig.png"}) == []


def test_no_space_left_gives_clear_message_and_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "model.safetensors"
    target.write_bytes(b"old")

    def full_disk(fd, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(OSError) as info:
        storage.atomic_write_bytes(target, b"new")
    message = str(info.value)
    assert info.value.errno == errno.ENOSPC
    assert "no space left on device" in message and "free space" in message
    assert str(target) in message and "previous file is intact" in message
    assert target.read_bytes() == b"old"
    assert _leftovers(tmp_path, {"model.safetensors"}) == []


def test_write_to_missing_folder_names_the_folder(tmp_path):
    target = tmp_path / "no" / "such" / "m.safetensors"
    with pytest.raises(FileNotFoundError, match="does not exist; create it") as info:
        storage.atomic_write_bytes(target, b"x")
    assert str(target.parent) in str(info.value)
    assert "no file was created" in str(info.value)


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="root ignores folder permissions"
)
def test_write_to_read_only_folder_gives_permission_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError, match="permission denied writing"):
            storage.atomic_write_bytes(folder / "m.safetensors", b"x")
    finally:
        folder.chmod(0o700)


@pytest.mark.parametrize(
    ("code", "kind", "words"),
    [
        (errno.EACCES, PermissionError, "permission denied writing"),
        (errno.EROFS, OSError, "read-only file system"),
        (errno.ENOSPC, OSError, "no space left on device"),
    ],
)
def test_temp_file_creation_failure_is_explained(tmp_path, monkeypatch, code, kind, words):
    target = tmp_path / "m.safetensors"
    target.write_bytes(b"old")

    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
    with pytest.raises(kind, match=words) as info:
        storage.atomic_write_text(target, "new")
    assert info.value.errno == code and str(target) in str(info.value)
    assert target.read_bytes() == b"old"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_new_file_gets_umask_mode_and_replaced_file_keeps_its_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.bin"
        storage.atomic_write_bytes(fresh, b"x")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        kept = tmp_path / "kept.bin"
        kept.write_bytes(b"old")
        kept.chmod(0o640)
        storage.atomic_write_bytes(kept, b"new")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    finally:
        os.umask(umask)
