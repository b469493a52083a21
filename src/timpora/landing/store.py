"""The landing zone: an S3-compatible bucket in production, a local folder when embedded.

Both hold the same layout (``<feed>/YYYY/MM/DD/<file>``, FEEDS.md) behind one interface,
chosen by configuration. Ingest asks the store for a local path to read: the folder store
hands out the file itself, the bucket store streams the object into a work file first, so
a file of any size never sits in memory.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat as stat_module
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from timpora.config import S3Settings, Settings, get_settings

HASH_BLOCK = 4 * 1024 * 1024


@dataclass(frozen=True)
class LandedObject:
    """An object in the landing zone; ``etag`` changes whenever its body may have changed.
    ``refused`` says why it is there but will not be read (a symbolic link, say): it is
    still registered, as rejected with that reason."""

    key: str
    size: int
    etag: str | None = None
    refused: LandingRefused | None = None


class LandingRefused(Exception):
    """An object in the landing zone that is not read, by policy or because it cannot be:
    the ledger records it as rejected with this reason (in English and Bahasa Indonesia)."""

    def __init__(self, reason: str, reason_id: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reason_id = reason_id


def _symlink_refusal(path: Path) -> LandingRefused:
    try:
        target = str(path.readlink())
    except OSError:
        target = "?"
    return LandingRefused(
        f"a symbolic link (to {target}): links are refused by policy, upload the file itself",
        f"tautan simbolik (ke {target}): tautan ditolak oleh kebijakan, unggah berkasnya sendiri",
    )


@dataclass(frozen=True)
class LocalCopy:
    """A landed object's body on local disk, with the ETag of the body read: the ledger
    records that one, not one read by an earlier stat that an overwrite may have made stale."""

    path: Path
    etag: str | None


class LandingStore(Protocol):
    """What ingest needs from a landing zone."""

    def describe(self) -> str: ...

    def list_objects(self, prefix: str = "") -> Iterator[LandedObject]: ...

    def exists(self, key: str) -> bool: ...

    def stat(self, key: str) -> LandedObject: ...

    @contextmanager
    def local_copy(self, key: str) -> Iterator[LocalCopy]: ...

    def put_file(self, key: str, source: Path) -> None: ...


def sha256_of(path: Path) -> str:
    """Content hash of a file, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


class FolderLandingStore:
    """A local folder laid out like the bucket (embedded mode).

    Every entry of the folder is an object, whatever it is: a symbolic link (inside or
    outside the folder, dangling or not), a file this process may not read, a pipe is
    listed like a file and refused when read (:class:`LandingRefused`), so it reaches the
    ledger as rejected instead of being skipped, or stopping a run. Hidden names (a
    leading dot: uploads in progress) are not objects yet.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def describe(self) -> str:
        return f"folder {self.root}"

    def _path(self, key: str) -> Path:
        """The object's path, never outside the folder and never through a link."""
        parts = Path(key).parts
        if not parts or key.startswith("/") or any(part in ("..", ".") for part in parts):
            raise LandingRefused(
                f"landing key {key!r} leaves the landing folder", f"kunci {key!r} keluar dari folder pendaratan"
            )
        path = self.root
        for part in parts:
            path = path / part
            if path.is_symlink():
                raise _symlink_refusal(path)
        return path

    def _refusal(self, path: Path) -> LandingRefused | None:
        if path.is_symlink():
            return _symlink_refusal(path)
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            return LandingRefused(f"cannot be read: {exc.strerror}", f"tidak dapat dibaca: {exc.strerror}")
        if not stat_module.S_ISREG(mode):
            return LandingRefused("not a regular file", "bukan berkas biasa")
        if not os.access(path, os.R_OK):
            return LandingRefused("cannot be read: permission denied", "tidak dapat dibaca: akses ditolak")
        return None

    def list_objects(self, prefix: str = "") -> Iterator[LandedObject]:
        base = self.root / prefix if prefix else self.root
        if not base.exists() or base.is_symlink():
            return
        found: list[Path] = []
        for folder, folders, names in os.walk(base, followlinks=False):
            here = Path(folder)
            # A link to a folder is an object of its own (refused), not a place to walk into.
            found += [here / name for name in folders if (here / name).is_symlink() and not name.startswith(".")]
            folders[:] = [name for name in folders if not name.startswith(".") and not (here / name).is_symlink()]
            found += [here / name for name in names if not name.startswith(".")]
        for path in sorted(found):
            yield self._described(path)

    def _described(self, path: Path) -> LandedObject:
        key = path.relative_to(self.root).as_posix()
        refused = self._refusal(path)
        try:
            info = path.lstat()
        except OSError:
            return LandedObject(key, 0, "unreadable", refused)
        # A folder has no ETag: size and modification time stand in for "the body changed".
        return LandedObject(key, info.st_size, f"{info.st_mtime_ns}-{info.st_size}", refused)

    def exists(self, key: str) -> bool:
        try:
            path = self._path(key)
        except LandingRefused:
            return True  # there, but refused: registering it says so
        return path.is_file()

    def stat(self, key: str) -> LandedObject:
        try:
            path = self._path(key)
        except LandingRefused as refused:
            link = self.root / key
            size = link.lstat().st_size if link.is_symlink() else 0
            return LandedObject(key, size, f"refused-{size}", refused)
        if not path.exists() and not path.is_symlink():
            raise FileNotFoundError(f"no landed object {key!r} in {self.root}")
        return self._described(path)

    @contextmanager
    def local_copy(self, key: str) -> Iterator[LocalCopy]:
        landed = self.stat(key)
        if landed.refused is not None:
            raise landed.refused
        yield LocalCopy(self._path(key), landed.etag)

    def put_file(self, key: str, source: Path) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target, then rename: a watcher never sees half a file.
        temporary = target.with_name(f".{target.name}.part")
        shutil.copyfile(source, temporary)
        temporary.replace(target)


class BucketLandingStore:
    """An S3-compatible bucket through the ``minio`` SDK (MinIO in production)."""

    def __init__(self, s3: S3Settings, work_dir: Path) -> None:
        from minio import Minio

        self.s3 = s3
        self.work_dir = work_dir
        self.client = Minio(
            s3.endpoint, access_key=s3.access_key, secret_key=s3.secret_key, secure=s3.secure, region=s3.region
        )

    def describe(self) -> str:
        return f"bucket s3://{self.s3.bucket} at {self.s3.endpoint}"

    def ensure_bucket(self) -> None:
        if not self.client.bucket_exists(self.s3.bucket):
            self.client.make_bucket(self.s3.bucket)

    def list_objects(self, prefix: str = "") -> Iterator[LandedObject]:
        for item in self.client.list_objects(self.s3.bucket, prefix=prefix or None, recursive=True):
            if not item.is_dir and item.object_name is not None:
                yield LandedObject(item.object_name, int(item.size or 0), (item.etag or "").strip('"') or None)

    def stat(self, key: str) -> LandedObject:
        info = self.client.stat_object(self.s3.bucket, key)
        return LandedObject(key, int(info.size or 0), (info.etag or "").strip('"') or None)

    def exists(self, key: str) -> bool:
        from minio.error import S3Error

        try:
            self.client.stat_object(self.s3.bucket, key)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return False
            raise
        return True

    @contextmanager
    def local_copy(self, key: str) -> Iterator[LocalCopy]:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.work_dir) as folder:
            # Keep the object's own name: readers look at its suffix (.gz).
            target = Path(folder) / Path(key).name
            # One GET, whose ETag is the body's own. fget_object would stat the object
            # first (a second request per file, and an ETag read before the body).
            response = self.client.get_object(self.s3.bucket, key)
            try:
                with target.open("wb") as body:
                    for block in response.stream(HASH_BLOCK):
                        body.write(block)
                etag = (response.headers.get("ETag") or "").strip('"') or None
            finally:
                response.close()
                response.release_conn()
            yield LocalCopy(target, etag)

    def put_file(self, key: str, source: Path) -> None:
        self.client.fput_object(self.s3.bucket, key, str(source))


def landing_store(settings: Settings | None = None) -> LandingStore:
    """The landing store the configuration chooses."""
    settings = settings or get_settings()
    if settings.landing_backend == "s3":
        assert settings.s3 is not None
        return BucketLandingStore(settings.s3, settings.work_dir)
    return FolderLandingStore(settings.landing_dir)
