"""Password-protected workbooks, decrypted in memory with msoffcrypto-tool.

An encrypted .xlsx/.xlsm (ECMA-376 agile or standard encryption: an OLE compound file
holding an ``EncryptedPackage``) or an .xls with a FILEPASS record (RC4, RC4 CryptoAPI, XOR
obfuscation) is decrypted into bytes that never touch the disk; the plain workbook is then
read like any other, through the same guards (zip sizes and ratios, sector chains, sheet
extents, memory and time). An .xls protected with Excel's built-in key ("VelvetSweatshop",
what Excel uses when only the structure is protected) opens without asking.

The password is only passed through: never stored, logged or put into a message.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from zmed_gui.core.errors import SourceError
from zmed_gui.core.printable import printable
from zmed_gui.core.read._guard import ReadGuard, check_cfb
from zmed_gui.core.read._sniff import CFB, CFB_MAGIC, ENCRYPTED, ZIP

log = logging.getLogger(__name__)

_EXCEL_DEFAULT_KEY = "VelvetSweatshop"


class PasswordNeeded(SourceError):
    """A workbook is protected with a password, and none or a wrong one was given.

    ``wrong`` is True when a password was given and did not open it; ``file_name`` is the
    file's name as shown to the user.
    """

    def __init__(self, message: str, *, file_name: str, wrong: bool) -> None:
        super().__init__(message)
        self.file_name = file_name
        self.wrong = wrong


def password_needed(path: Path, wrong: bool) -> PasswordNeeded:
    name = printable(path.name)
    if wrong:
        message = (
            f"The password for {name} is wrong; check it (capital letters count) and "
            "enter it again."
        )
    else:
        message = f"{name} is protected with a password; enter its password to open it."
    return PasswordNeeded(message, file_name=name, wrong=wrong)


def is_protected(path: Path, kind: str) -> bool:
    """True for an encrypted OOXML package or an .xls with a password (FILEPASS)."""
    if kind == ENCRYPTED:
        return True
    if kind == CFB:
        from zmed_gui.core.read._workbook import xls_protection

        return xls_protection(path) is not None
    return False


def decrypt(path: Path, kind: str, password: str | None, guard: ReadGuard) -> tuple[bytes, str]:
    """The plain workbook inside a protected one, and its kind (ZIP or CFB).

    Raises:
        PasswordNeeded: no password was given (and Excel's built-in key does not open it),
            or the password is wrong.
        SourceError: the file is damaged, or protected in a way that cannot be opened.
    """
    if password is None and kind == ENCRYPTED:
        raise password_needed(path, wrong=False)
    check_cfb(path)  # the container's sector chains, before msoffcrypto's olefile walks them
    candidates = [password] if password is not None else []
    if kind == CFB and password is None:
        candidates.append(_EXCEL_DEFAULT_KEY)
    for candidate in candidates:
        data = guard.run_native(lambda c=candidate: _try(path, c))  # type: ignore[misc]
        if data is not None:
            return data, _plain_kind(path, data)
    raise password_needed(path, wrong=password is not None)


def _try(path: Path, password: str) -> bytes | None:
    """The decrypted bytes, or None when ``password`` is not the right one."""
    import msoffcrypto
    from msoffcrypto import exceptions

    name = printable(path.name)
    try:
        with path.open("rb") as fh:
            office = msoffcrypto.OfficeFile(fh)
            office.load_key(password=password)
            out = io.BytesIO()
            office.decrypt(out)
    except exceptions.InvalidKeyError:
        return None
    except OSError as exc:
        raise SourceError(
            f"{name} cannot be opened ({exc.strerror or 'read error'}); close it in other "
            "programs and check that you may read it."
        ) from None
    except Exception as exc:  # msoffcrypto: FileFormatError, DecryptionError, struct.error...
        # The type only: the message of a failed decryption is no place for any detail.
        log.info("msoffcrypto cannot decrypt %s: %s", path, type(exc).__name__)
        raise SourceError(
            f"{name} is protected with a password in a way that cannot be opened here, or "
            "is damaged; open it in Excel, remove the password (File > Info > Protect "
            "Workbook > Encrypt with Password), save it and open it again."
        ) from None
    return out.getvalue()


def _plain_kind(path: Path, data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        return ZIP
    if data.startswith(CFB_MAGIC):
        return CFB
    raise SourceError(
        f"{printable(path.name)} was decrypted but holds no workbook; ask the sender for "
        "the file again."
    )
