# mailcompose.py - the pieces of a mail as Japanese mail clients write it,
# for the demo's invoice mails (invoicemail.py) and the mail tests
# (tests/e2e/mailgen.py).  Bytes, not Python's email package: the point
# is to write exactly what Outlook, Thunderbird or an old Shift_JIS
# system puts on the wire.
import base64


def jis(text):
    """ISO-2022-JP as Windows writes it (CP50221): the JIS rows of CP932,
    NEC and IBM characters (①, ㈱, 髙) included."""
    res, kanji = b'', False
    for ch in text:
        if ord(ch) < 0x80:
            if kanji:
                res += b'\x1b(B'
                kanji = False
            res += ch.encode()
            continue
        c1, c2 = ch.encode('cp932')
        j1 = (c1 - (0x70 if c1 <= 0x9f else 0xb0)) * 2
        if c2 < 0x9f:
            j1 -= 1
            j2 = c2 - (0x1f if c2 < 0x7f else 0x20)
        else:
            j2 = c2 - 0x7e
        if not kanji:
            res += b'\x1b$B'
            kanji = True
        res += bytes([j1, j2])
    if kanji:
        res += b'\x1b(B'
    return res


def word(charset, raw):
    """One RFC 2047 encoded word (base64) of the bytes raw."""
    return '=?%s?B?%s?=' % (charset, base64.b64encode(raw).decode())


def b64lines(data):
    """Base64 in lines of 76, CRLF between them."""
    s = base64.b64encode(data).decode()
    return '\r\n'.join(s[i:i + 76] for i in range(0, len(s), 76))


def pct(raw):
    """Percent-encoded bytes, as RFC 2231 wants them."""
    return ''.join('%%%02X' % c for c in raw)


def regno(base12):
    """A qualified-invoice registration number: T, the check digit of the
    corporate-number scheme, then the 12 digits."""
    s = sum(int(c) * (1 if i % 2 == 1 else 2) for i, c in enumerate(base12))
    return 'T%d%s' % (9 - s % 9, base12)


def unjis(raw):
    """ISO-2022-JP (CP50221) bytes back to text, through CP932 as
    Windows reads it: Python's iso2022_jp knows no ①."""
    res, kanji, i = b'', False, 0
    while i < len(raw):
        if raw[i] == 0x1b:
            kanji = raw[i + 1:i + 3] in (b'$B', b'$@')
            i += 3
            continue
        if kanji and raw[i] not in (0x0d, 0x0a):
            j1, j2 = raw[i], raw[i + 1]
            s1 = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5e else 0xb0)
            s2 = j2 + ((0x1f if j2 < 0x60 else 0x20) if j1 & 1 else 0x7e)
            res += bytes([s1, s2])
            i += 2
            continue
        res += raw[i:i + 1]
        i += 1
    return res.decode('cp932')


def header(value):
    """A raw header value decoded, ISO-2022-JP read as Windows writes it."""
    import email.header
    return ''.join(unjis(b) if cs and cs.lower() == 'iso-2022-jp' else
                   b.decode(cs or 'ascii') if isinstance(b, bytes) else b
                   for b, cs in email.header.decode_header(value))
