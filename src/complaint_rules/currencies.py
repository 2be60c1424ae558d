"""ISO 4217: the currency codes a policy may name, and the names people write instead."""

from __future__ import annotations

import difflib

# The active codes of ISO 4217 (list one, 2024), with the funds and metals codes, and the codes withdrawn
# since 2023 (complaints about older transactions still name them).
CODES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD
NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE
SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED
VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG
ZWL
""".split())

# What people write for a currency instead of its code.
NICKNAMES = {
    "RMB": "CNY", "CNH": "CNY", "YUA": "CNY", "NTD": "TWD", "NT$": "TWD", "UKP": "GBP", "STG": "GBP",
    "RUR": "RUB", "SFR": "CHF", "JPN": "JPY", "YEN": "JPY", "KRN": "KRW", "EU": "EUR", "EURO": "EUR",
    "HK$": "HKD", "US$": "USD", "USA": "USD", "RS": "INR", "INDR": "INR",
}


def known(code: str) -> bool:
    """Whether ``code`` is an ISO 4217 code."""
    return code in CODES


def suggestion(code: str) -> str | None:
    """The code meant by a name that is not one (``RMB`` -> ``CNY``), if there is a likely one."""
    upper = code.upper()
    if upper in NICKNAMES:
        return NICKNAMES[upper]
    if upper in CODES:
        return upper
    # A code's first two letters are its country's (ISO 3166): prefer the codes that share them.
    same_country = sorted(c for c in CODES if c[:2] == upper[:2])
    close = difflib.get_close_matches(upper, same_country or sorted(CODES), n=1, cutoff=0.66)
    return close[0] if close else None
