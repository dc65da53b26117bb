"""Wallet roles: customer coverage kept apart from wrapped-token collateral, the user
protection fund and corporate funds (docs/protocol.md §10.6).

Every reserve wallet of an attestation with a ``segregation`` section has exactly one role,
and the message it signs names that role, so a signature cannot be moved to another one:

``customer``         counts toward the coverage of customer liabilities (``assets[i].reserves``);
``wrapped:<TOKEN>``  collateral of one wrapped token of ``segregation.wrapped``, held in the
                     token's origin asset; the token must be backed 1:1 by these wallets alone;
``protection-fund``  a user protection fund: shown per asset, never counted as coverage;
``corporate``        the custodian's own funds: listed for transparency, never counted.

A wallet (its canonical address) appears once in the whole file, so one wallet can never
back customers and a wrapped token at once. Attestations made before roles existed have no
``segregation`` section and no ``role`` in ``reserves.json``: every wallet there is a
customer wallet and signed the message without a role line.

Pure Python, stdlib only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from verifier.errors import VerificationError
from verifier.manifest import (
    AssetLiability,
    Holding,
    Manifest,
    Segregation,
    WrappedToken,
    backed,
    backing_ratio,
    format_units,
)
from verifier.strict_json import show

CUSTOMER = "customer"
PROTECTION_FUND = "protection-fund"
CORPORATE = "corporate"
WRAPPED_PREFIX = "wrapped:"
ROLES = (CUSTOMER, PROTECTION_FUND, CORPORATE, WRAPPED_PREFIX + "<TOKEN>")
#: (role, asset) -> units: what the wallets of each role hold of each asset.
RoleTotals = dict[tuple[str, str], int]


def wrapped_role(symbol: str) -> str:
    """Return the role of the collateral wallets of wrapped token ``symbol``."""
    return WRAPPED_PREFIX + symbol


def role_problem(role: str, asset: str, wrapped: Mapping[str, str]) -> str | None:
    """Return why a wallet of ``asset`` cannot have ``role``, or None.

    ``wrapped`` maps each wrapped token's symbol to its origin asset.
    """
    if role in (CUSTOMER, PROTECTION_FUND, CORPORATE):
        return None
    if not role.startswith(WRAPPED_PREFIX):
        return f"unknown role {show(role)} (roles: {', '.join(ROLES)})"
    token = role.removeprefix(WRAPPED_PREFIX)
    if token not in wrapped:
        known = ", ".join(wrapped) or "none are declared"
        return f"role {show(role)} names no declared wrapped token (wrapped tokens: {known})"
    if wrapped[token] != asset:
        return (
            f"the collateral of {token} is held in its origin asset {wrapped[token]}, "
            f"not in {show(asset)}"
        )
    return None


def holdings(
    totals: RoleTotals, role: str, assets: Sequence[AssetLiability]
) -> tuple[Holding, ...]:
    """Return what the wallets of ``role`` hold, per asset that has one, in asset order."""
    return tuple(
        Holding(a.symbol, totals[role, a.symbol]) for a in assets if (role, a.symbol) in totals
    )


def segregation_of(
    totals: RoleTotals, assets: Sequence[AssetLiability], declared: Sequence[WrappedToken]
) -> Segregation:
    """Return the segregation section the signed wallets prove, the wrapped tokens'
    supplies and contracts taken as ``declared``."""
    wrapped = tuple(
        WrappedToken(
            w.symbol,
            w.origin,
            w.chain,
            w.contract,
            w.decimals,
            w.supply,
            w.block,
            totals.get((wrapped_role(w.symbol), w.origin), 0),
        )
        for w in declared
    )
    return Segregation(
        wrapped, holdings(totals, PROTECTION_FUND, assets), holdings(totals, CORPORATE, assets)
    )


def check_segregation(manifest: Manifest, published: Segregation, totals: RoleTotals) -> None:
    """Raise ``VerificationError`` unless the manifest's ``segregation`` (``published``)
    is exactly what its signed wallets hold per role (collateral, protection fund,
    corporate funds)."""
    proven = segregation_of(totals, manifest.assets, published.wrapped)
    for have, want in zip(published.wrapped, proven.wrapped, strict=True):
        if have.collateral != want.collateral:
            decimals = manifest.decimals[have.origin]
            claimed = format_units(have.collateral, decimals)
            signed = format_units(want.collateral, decimals)
            raise VerificationError(
                f"wrapped token {show(have.symbol)}: the manifest publishes collateral of "
                f"{claimed} {have.origin}, but its signed {wrapped_role(have.symbol)} "
                f"wallets hold {signed}"
            )
    for role, have_all, want_all in (
        (PROTECTION_FUND, published.protection_fund, proven.protection_fund),
        (CORPORATE, published.corporate, proven.corporate),
    ):
        if have_all != want_all:
            raise VerificationError(
                f"the manifest publishes {role} holdings of {_describe(have_all, manifest)}, "
                f"but its signed {role} wallets hold {_describe(want_all, manifest)}"
            )


def _describe(found: Sequence[Holding], manifest: Manifest) -> str:
    if not found:
        return "nothing"
    return ", ".join(
        f"{format_units(h.balance, manifest.decimals[h.asset])} {h.asset}" for h in found
    )


def wrapped_shortfalls(manifest: Manifest) -> list[str]:
    """Return one plain sentence per wrapped token whose collateral is below its supply."""
    if manifest.segregation is None:
        return []
    out = []
    for w in manifest.segregation.wrapped:
        origin_decimals = manifest.decimals[w.origin]
        if not backed(w.collateral, origin_decimals, w.supply, w.decimals):
            ratio = backing_ratio(w.collateral, origin_decimals, w.supply, w.decimals)
            out.append(
                f"wrapped token {w.symbol} is under-backed: collateral "
                f"{format_units(w.collateral, origin_decimals)} {w.origin} < issued supply "
                f"{format_units(w.supply, w.decimals)} {w.symbol} (ratio {ratio}; "
                "required 1:1)"
            )
    return out
