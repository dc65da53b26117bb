"""The site's Markdown pages, rendered from one attestation and the repository's templates.

Templates live in ``site/pages/*.md`` with ``$name`` placeholders (``string.Template``);
this module computes the tables and statements that fill them. Every value comes from
the public attestation (never from the private directory), and everything is sorted or in
file order, so the pages are a pure function of the attestation and the zkpor version.

The page must never present what the proofs cannot show as verified: the issuer, as-of
time, id and asset names are labelled as the custodian's statements.

Every value taken from a file (the manifest, reserves.json, the ceremony transcript, the
earlier manifests, a verification message) goes through ``publisher.site.escape`` for
the context it lands in; only numbers this module formats itself are written as is.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from importlib.resources.abc import Traversable
from string import Template
from typing import Protocol

from publisher.site.chart import Coverage, coverage_bars, coverage_over_time, percent
from publisher.site.escape import md_code, md_link, md_text
from publisher.site.vendor import Component
from verifier.attestation import STEP_NAMES
from verifier.ceremony_format import Transcript
from verifier.cosign import Cosignature
from verifier.manifest import (
    PROOFS,
    SETUP_INSECURE_DEV,
    VK,
    BatchEntry,
    Holding,
    Manifest,
    WrappedToken,
)
from verifier.manifest import format_units as units
from verifier.mpc import contribution_hash
from verifier.phase1 import known_phase1
from verifier.report import StepResult
from verifier.reserves import Wallet
from verifier.segregation import (
    CORPORATE,
    CUSTOMER,
    PROTECTION_FUND,
    WRAPPED_PREFIX,
    wrapped_role,
    wrapped_shortfalls,
)
from verifier.user import USER_STEP_NAMES
from verifier.web import SAMPLES

#: Rows of the batch table on the Proofs page; beyond it, proofs.json is the list.
MAX_BATCH_ROWS = 512

USER_STEP_HELP = {
    "bundle": "your code opens your encrypted bundle: your id, salt, balances and the "
    "position of your leaf (the bundle file is one of many of the same size).",
    "leaf": "your leaf is recomputed from your id, salt and balances.",
    "path to batch root": "your leaf hashes up, with the sibling hashes in your bundle, to "
    "the root of one batch.",
    "batch root in the published tree": "that batch root hashes up to the published root.",
    "batch proofs": "the zero-knowledge proof of your batch is valid (every balance in it "
    "is in [0, 2^64) and its sum went into the running totals), and so are the proofs of "
    "a few other batches your browser picks at random; the step names them.",
    "accumulator chain": "the batches chain one to the next, from zero to a final value "
    "that opens to the published liabilities. That proves the liabilities only if every "
    "batch proof was verified: the step says whether it was (Verify all does it).",
    "trusted setup": "the keys come from the published ceremony transcript, which checks "
    "out; a single-party development setup fails.",
}
ATTESTATION_STEP_HELP = {
    "manifest and file hashes": "attestation.json is well formed and every file has the "
    "sha256 it lists.",
    "verification key": "vk.json is a valid Groth16 key for the batch circuit.",
    "batch proofs": "every batch proof is valid for its public inputs.",
    "accumulator chain": "the batches chain from zero to the final totals.",
    "tree": "the batch roots hash up to the published root.",
    "totals": "the published liabilities are the proven totals.",
    "bundle files": "every bundle file is present, of equal size, with its listed hash.",
    "reserves": "every reserve wallet's signature is valid for this attestation and names "
    "the wallet's one role; each asset's customer reserves cover its liabilities, and each "
    "wrapped token's collateral covers its issued supply 1:1 (the protection fund and "
    "corporate funds are never counted).",
    "trusted setup": "the keys come from the published ceremony transcript, which checks out.",
    "co-signatures": "every co-signature is a valid signature of this very manifest, and every "
    "co-signer the custodian pinned has signed.",
}


@dataclass(frozen=True)
class Earlier:
    """An earlier attestation, for the History page: its manifest and where it was read."""

    manifest: Manifest
    source: str


@dataclass(frozen=True)
class CosignatureStatus:
    """One co-signature the site publishes, as checked at build time."""

    #: its file, ``signatures/<name>.json``
    file: str
    signature: Cosignature
    #: whether the manifest pins its key
    pinned: bool
    #: why it does not verify (``verifier.cosign.check_cosignature``), or None
    problem: str | None


@dataclass(frozen=True)
class SiteData:
    """What the pages are made from."""

    manifest: Manifest
    entries: Sequence[BatchEntry]
    results: Sequence[StepResult]
    wallets: Sequence[Wallet]
    transcript: Transcript | None
    history: Sequence[Earlier]
    version: str
    site_url: str | None
    #: the third-party components the browser loads
    vendored: Sequence[Component]
    #: site-relative path -> subresource integrity of every file the verifier loads
    pins: Mapping[str, str]
    #: bytes a first visit of the Verify page downloads (every pinned file), if known
    download_bytes: int = 0
    #: the co-signatures of signatures/index.json, in its order
    cosignatures: Sequence[CosignatureStatus] = ()

    @property
    def dev_setup(self) -> bool:
        return self.manifest.setup_kind == SETUP_INSECURE_DEV

    @property
    def unknown_phase1(self) -> bool:
        """Return whether the ceremony's phase 1 is not a pinned public file."""
        if self.transcript is None:
            return False
        ptau = self.transcript.header.ptau
        return known_phase1(ptau.blake2b, ptau.power) is None


def _ratio(reserves: int | None, liabilities: int) -> Fraction | None:
    return None if reserves is None or liabilities == 0 else Fraction(reserves, liabilities)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    # Cells are escaped by the callers (md_text escapes "|"); code spans may hold a "|".
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def dev_setup_banner(figures: str) -> str:
    """Return the warning of an insecure setup: the ``figures`` below are not proven."""
    return (
        '!!! danger "INSECURE development setup"\n'
        "    The proving keys of this attestation come from a single-party development\n"
        "    setup (`--insecure-dev-setup`). Whoever ran it can forge proofs of any\n"
        f"    totals: the {figures} below are NOT proven. Use a ceremony.\n"
    )


def unknown_phase1_banner(figures: str) -> str:
    """Return the warning of a phase 1 zkpor does not pin: the ``figures`` below are not
    proven."""
    return (
        '!!! danger "Phase 1 is not a public Powers of Tau ceremony"\n'
        "    The keys come from a phase-1 file that is not one of the public ceremonies\n"
        "    zkpor pins (a demo makes its own, offline). Whoever made it can forge proofs\n"
        f"    of any totals: the {figures} below are NOT proven.\n"
    )


def under_backed_banner(under_backed: Sequence[str]) -> str:
    """Return the warning of the wrapped tokens ``under_backed`` (Markdown-safe symbols)."""
    return (
        '!!! failure "Under-backed: ' + ", ".join(under_backed) + '"\n'
        "    The collateral of " + ", ".join(under_backed) + " is below its issued "
        "supply: it is not backed 1:1.\n"
        "    See the [Wrapped tokens](wrapped.md) page.\n"
    )


def banners(data: SiteData) -> str:
    """Return the warnings every page shows first: an insecure setup, an under-covered
    asset, an under-backed wrapped token."""
    out = []
    if data.dev_setup:
        out.append(dev_setup_banner("liabilities"))
    if data.unknown_phase1:
        out.append(unknown_phase1_banner("liabilities"))
    short = [
        md_text(a.symbol)
        for a in data.manifest.assets
        if a.reserves is not None and a.reserves < a.liabilities
    ]
    if short:
        out.append(
            '!!! failure "Under-covered: ' + ", ".join(short) + '"\n'
            "    The declared reserves of " + ", ".join(short) + " are below the liabilities.\n"
            "    See the table on the [Summary](index.md) and [Reserves](reserves.md) pages.\n"
        )
    under_backed = [md_text(symbol) for symbol in _under_backed(data.manifest)]
    if under_backed:
        out.append(under_backed_banner(under_backed))
    return "\n".join(out)


def _wrapped(manifest: Manifest) -> tuple[WrappedToken, ...]:
    return () if manifest.segregation is None else manifest.segregation.wrapped


def _backing(manifest: Manifest, token: WrappedToken) -> Fraction | None:
    """Return collateral / issued supply, both in whole tokens; None for no supply."""
    if token.supply == 0:
        return None
    origin = manifest.decimals[token.origin]
    return Fraction(token.collateral * 10**token.decimals, token.supply * 10**origin)


def _backed(manifest: Manifest, token: WrappedToken) -> bool:
    """Return whether the token is backed 1:1 (as ``verifier.manifest.backed``)."""
    ratio = _backing(manifest, token)
    return ratio is None or ratio >= 1


def _under_backed(manifest: Manifest) -> list[str]:
    """Return the symbols of the wrapped tokens ``wrapped_shortfalls`` names, in order."""
    return [w.symbol for w in _wrapped(manifest) if not _backed(manifest, w)]


def asset_table(manifest: Manifest) -> str:
    """Return per-asset liabilities, (customer) reserves and coverage; a shortfall is
    spelled out."""
    rows = []
    for asset in manifest.assets:
        if asset.reserves is None:
            rows.append([md_text(asset.symbol), asset.amount, "not declared", "–"])
            continue
        ratio = _ratio(asset.reserves, asset.liabilities)
        held = units(asset.reserves, asset.decimals)
        if asset.reserves >= asset.liabilities:
            status = (
                f'<span class="zkpor-ok">{percent(ratio) if ratio else "no liabilities"}</span>'
            )
        else:
            short = units(asset.liabilities - asset.reserves, asset.decimals)
            status = (
                f'<span class="zkpor-fail">{percent(ratio) if ratio else "0.00%"}: UNDER-COVERED, '
                f"short by {short} {md_text(asset.symbol)}</span>"
            )
        rows.append([md_text(asset.symbol), asset.amount, held, status])
    reserves = "Reserves" if manifest.segregation is None else "Customer reserves"
    return _table(["Asset", "Liabilities", reserves, "Coverage"], rows)


def wrapped_status(manifest: Manifest, token: WrappedToken) -> str:
    """Return a wrapped token's backing: its ratio, and a FAIL spelled out below 1:1."""
    ratio = _backing(manifest, token)
    if ratio is None:
        return '<span class="zkpor-ok">no supply issued</span>'
    if ratio >= 1:
        return f'<span class="zkpor-ok">{percent(ratio)} (backed 1:1)</span>'
    origin = manifest.decimals[token.origin]
    supply_in_origin = -(-token.supply * 10**origin // 10**token.decimals)
    short = units(supply_in_origin - token.collateral, origin)
    return (
        f'<span class="zkpor-fail">{percent(ratio)}: FAIL, UNDER-BACKED, short by {short} '
        f"{md_text(token.origin)}</span>"
    )


def _holdings_rows(manifest: Manifest, label: str, found: Sequence[Holding]) -> list[list[str]]:
    return [[label, md_text(h.asset), units(h.balance, manifest.decimals[h.asset])] for h in found]


def segregation_summary(manifest: Manifest) -> str:
    """Return the Summary's funds that are not customer coverage: the protection fund and
    corporate funds (never counted), and each wrapped token's backing."""
    seg = manifest.segregation
    if seg is None:
        return (
            "*This attestation was made before wallet roles: every reserve wallet counts as "
            "a customer wallet, and it declares no wrapped token, protection fund or "
            "corporate funds.*"
        )
    rows = _holdings_rows(manifest, "User protection fund", seg.protection_fund)
    rows += _holdings_rows(manifest, "Corporate funds", seg.corporate)
    funds = (
        "Held in wallets of their own, shown separately and **never counted as coverage** "
        "of customer liabilities:\n\n" + _table(["Fund", "Asset", "Balance"], rows)
        if rows
        else "No user protection fund and no corporate wallet is declared."
    )
    if seg.wrapped:
        tokens = _table(
            ["Token", "Backed by", "Issued supply", "Collateral", "Backing"],
            [
                [
                    md_text(w.symbol),
                    md_text(w.origin),
                    f"{units(w.supply, w.decimals)} {md_text(w.symbol)}",
                    f"{units(w.collateral, manifest.decimals[w.origin])} {md_text(w.origin)}",
                    wrapped_status(manifest, w),
                ]
                for w in seg.wrapped
            ],
        )
        wrapped = (
            "Each wrapped token must be backed 1:1 by collateral wallets of its own, never "
            "counted as customer reserves (details on the [Wrapped tokens](wrapped.md) "
            "page):\n\n" + tokens
        )
    else:
        wrapped = "This attestation declares no wrapped token."
    return "\n\n".join(["### Not counted as coverage", funds, "### Wrapped tokens", wrapped])


def cosign_summary(data: SiteData) -> str:
    """Return who co-signed the attestation: each signer with its key, whether the
    manifest pins the key and whether the signature matched; every pinned co-signer who
    did not sign; or that no one co-signed."""
    return cosign_summary_lines(data.manifest, data.cosignatures)


def cosign_summary_lines(manifest: Manifest, cosignatures: Sequence[CosignatureStatus]) -> str:
    """Return ``cosign_summary`` of ``manifest`` (any format: its ``cosigners``) and the
    co-signatures the site publishes."""
    pins = manifest.cosigners
    lines = []
    for status in cosignatures:
        sig = status.signature
        pinned = (
            "key pinned by the manifest"
            if status.pinned
            else "key **not pinned** by the manifest: compare it with the key the signer "
            "publishes itself"
        )
        verdict = (
            '<span class="zkpor-ok">OK: the signature matched this manifest</span>'
            if status.problem is None
            else f'<span class="zkpor-fail">FAIL: {md_text(status.problem)}</span>'
        )
        lines.append(
            f"- Co-signed by **{md_text(sig.name)}** ({md_text(sig.scheme)} key "
            f"{md_code(sig.key)}); {pinned}; {verdict}."
        )
    signed = {(s.signature.scheme, s.signature.key) for s in cosignatures}
    for pin in pins:
        if (pin.scheme, pin.key) not in signed:
            lines.append(
                f"- **{md_text(pin.name)}** ({md_text(pin.scheme)} key {md_code(pin.key)}), "
                'pinned by the manifest: <span class="zkpor-fail">FAIL: no co-signature</span>.'
            )
    if not lines:
        return (
            "No co-signature: no independent party (such as an auditor) has signed this "
            "attestation, and the manifest pins no co-signer."
        )
    return (
        "Independent parties signed the manifest's digest (sha256 of its canonical JSON): "
        "any change to the manifest after they signed breaks their signature. The "
        "[Verify](verify.md) page checks every signature again (step 10).\n\n" + "\n".join(lines)
    )


def status_table(results: Sequence[StepResult]) -> str:
    """Return the build-time result of each step of ``zkpor verify``."""
    rows = [
        [
            str(r.number),
            md_text(r.name),
            f'<span class="zkpor-{"ok" if r.status == "OK" else "fail"}">'
            f"{md_text(r.status)}</span>",
            md_text(r.detail),
        ]
        for r in results
    ]
    return _table(["#", "Check", "Result", "Detail"], rows)


#: One plain line beside each step's technical name on the Verify page.
STEP_WORDS = {
    "bundle": "your encrypted record in the attestation, which only your code opens",
    "leaf": "your account's entry in the tree of all accounts",
    "path to batch root": "the hashes linking your entry to its batch (a group of accounts "
    "proven together)",
    "batch root in the published tree": "your batch's place in the published tree of all accounts",
    "batch proofs": "zero-knowledge proofs that every balance in a batch is non-negative and "
    "added to the totals",
    "accumulator chain": "the running totals, passed from batch to batch, that end at the "
    "published liabilities",
    "trusted setup": "the ceremony in which the proving keys were made, so that no one "
    "could forge proofs",
    "manifest and file hashes": "the attestation's table of contents, and every file's fingerprint",
    "verification key": "the public key every batch proof is checked with",
    "tree": "the tree of all accounts, hashed up to one published root",
    "co-signatures": "independent parties, such as an auditor, who signed this attestation",
    "totals": "the liabilities the custodian publishes, per asset",
    "bundle files": "the encrypted records of all accounts, all of one size",
    "reserves": "the custodian's signed wallets, each in one role, against liabilities and "
    "wrapped tokens",
}


def _steps_html(
    names: Sequence[str], indent: str = "    ", words: Mapping[str, str] | None = None
) -> str:
    """Return the Verify page's pending step list items; ``words`` (zkpor/2's) replace
    ``STEP_WORDS`` where they name a step."""
    said = {**STEP_WORDS, **(words or {})}
    return "\n".join(
        f'{indent}<li data-step="{n}" data-status="PENDING"><span class="zkpor-badge">·</span> '
        # Raw HTML inside a markdown="0" block: HTML escaping, not Markdown's.
        f'<strong>{html.escape(name)}</strong> <span class="zkpor-why">'
        f"({html.escape(said[name])})</span>: <span></span></li>"
        for n, name in enumerate(names, 1)
    )


def download_note(download_bytes: int) -> str:
    """Return what the Verify page says before it downloads the verifier."""
    if not download_bytes:
        return "The first check downloads the verifier once; your browser keeps it."
    megabytes = download_bytes / 1_000_000
    return (
        f"The first check downloads the verifier once ({megabytes:.1f} MB; your browser keeps "
        "it for the next visits): a few seconds on a computer, about half a minute on a slow "
        "phone or connection."
    )


def setup_statement(data: SiteData) -> str:
    """Return who took part in the trusted setup and exactly what must be trusted."""
    return setup_statement_for(data.dev_setup, data.transcript, data.manifest.setup_statement)


def setup_statement_for(
    dev_setup: bool,
    transcript: Transcript | None,
    statement: str,
    transcript_file: str = "ceremony/transcript.json",
    step: int = 9,
    vk_file: str = "vk.json",
) -> str:
    """Return ``setup_statement`` of one circuit's setup: ``transcript`` published as
    ``transcript_file``, checked by step ``step`` of ``zkpor verify``, for ``vk_file``."""
    if dev_setup:
        return (
            "**INSECURE: single-party development setup.** One machine made the keys and knew "
            "their secret; whoever ran it can forge proofs of any totals. Nothing this site "
            "shows about liabilities is proven."
        )
    if transcript is None:
        return f"Setup: {md_text(statement)}"
    ptau = transcript.header.ptau
    phase1 = ", ".join(md_text(name) for name in ptau.contributors) or "(none named)"
    rows = [
        [str(k), md_text(c.name), md_text(c.kind), md_code(contribution_hash(c).hex()[:32] + "…")]
        for k, c in enumerate(transcript.contributions, 1)
    ]
    final = transcript.final
    phase1_known = known_phase1(ptau.blake2b, ptau.power)
    return "\n\n".join(
        [
            "The Groth16 keys come from a two-phase ceremony; phase 2 is in snarkjs's "
            "`.zkey` format. Its full transcript is "
            f"[`{transcript_file}`](../attestation/{transcript_file}); "
            f"`zkpor verify` (step {step}) and the Verify page check that the first "
            "contribution binds the ceremony's header (which fixes the whole key but delta, "
            "IC included), that every contribution chains from the one before with a valid "
            f"proof of knowledge, that `{vk_file}` is the header's key with the final delta, "
            "and that phase 1 is a known public file.",
            f"**Phase 1** (Powers of Tau, power {ptau.power}): file sha256 "
            f"{md_code(ptau.sha256)}, blake2b {md_code(ptau.blake2b[:32] + '…')}; "
            + (
                f"the public {md_text(phase1_known.name)}."
                if phase1_known
                else "**not a known public Powers of Tau file** (whoever made it can forge proofs)."
            )
            + f" Contributors: {phase1}.",
            "**Phase 2** (this circuit): contributors recognise their record by its hash "
            "(names are not covered by any hash).\n\n"
            + _table(["#", "Contributor", "Kind", "Contribution hash (blake2b)"], rows),
            f"Final zkey sha256 {md_code(final.zkey_sha256)} (check it with "
            "`snarkjs zkey verify circuit.r1cs pot.ptau final.zkey`)."
            if final
            else "",
            "**What you must trust:** that at least one contributor of phase 1 *and* at least "
            "one contributor of phase 2 generated their secret randomly and destroyed it. If "
            "every contributor of a phase colluded or kept their secret, they could forge proofs.",
        ]
    )


#: How the Reserves page heads each role's wallets; wrapped-token collateral is per token.
_ROLE_HEADINGS = {
    CUSTOMER: (
        "Customer wallets",
        "Counted as coverage of customer liabilities (the reserves of each asset above).",
    ),
    PROTECTION_FUND: (
        "User protection fund",
        "**Not counted as coverage**: a fund of its own, shown for transparency.",
    ),
    CORPORATE: (
        "Corporate funds",
        "**Not counted as coverage**: the custodian's own funds, listed for transparency.",
    ),
}


def _role_heading(role: str) -> tuple[str, str]:
    if role in _ROLE_HEADINGS:
        return _ROLE_HEADINGS[role]
    token = md_text(role.removeprefix(WRAPPED_PREFIX))
    return (
        f"Collateral of {token}",
        f"**Not counted as coverage**: these wallets back the wrapped token {token} 1:1 "
        "(see [Wrapped tokens](wrapped.md)).",
    )


def _role_order(manifest: Manifest, wallets: Sequence[Wallet]) -> list[str]:
    """Return the roles of ``wallets``: customer, each wrapped token as declared, the
    protection fund, corporate funds, then any other role in file order."""
    known = [
        CUSTOMER,
        *(wrapped_role(w.symbol) for w in _wrapped(manifest)),
        PROTECTION_FUND,
        CORPORATE,
    ]
    present = list(dict.fromkeys(w.role or CUSTOMER for w in wallets))
    return [r for r in known if r in present] + [r for r in present if r not in known]


def wallet_table(manifest: Manifest, wallets: Sequence[Wallet]) -> str:
    """Return one row per wallet: chain, asset, address, balance, as-of point, role."""
    decimals = manifest.decimals
    rows = [
        [
            md_text(w.chain),
            md_text(w.asset),
            md_code(w.address),
            units(w.balance, decimals[w.asset]),
            md_text(w.as_of),
            md_text(w.role) if w.role is not None else "customer (made before roles)",
        ]
        for w in wallets
    ]
    return _table(["Chain", "Asset", "Address", "Balance", "Block or time", "Role"], rows)


def reserves_body(data: SiteData) -> str:
    """Return the Reserves page: per-asset coverage and every signed wallet, by role."""
    if not data.wallets:
        return (
            "This attestation declares no reserves: it proves liabilities only. Coverage "
            "cannot be judged from it."
        )
    groups = []
    for role in _role_order(data.manifest, data.wallets):
        heading, words = _role_heading(role)
        wallets = [w for w in data.wallets if (w.role or CUSTOMER) == role]
        groups.append(f"### {heading}\n\n{words}\n\n{wallet_table(data.manifest, wallets)}")
    return "\n\n".join(
        [
            asset_table(data.manifest),
            coverage_bars(_coverages(data.manifest)),
            "## Wallets\n\nEach wallet signed the message zkpor fixes for this attestation "
            "(it names the attestation id, the wallet's role, the chain, the asset, the "
            "address and the as-of time), so a signature cannot be moved to another role, "
            "and a wallet has one role only. The Verify page re-checks every signature in "
            "your browser (*verify all batches*, step 8 **reserves**); `zkpor reserves check "
            "--rpc URL` compares the declared EVM balances with a node at the stated block.",
            *groups,
        ]
    )


def wrapped_body(data: SiteData) -> str:
    """Return the Wrapped tokens page: per token where it is issued, its supply, its
    collateral wallets and its backing (a FAIL line when under-backed)."""
    manifest = data.manifest
    if manifest.segregation is None:
        return "This attestation was made before wallet roles: it declares no wrapped token."
    if not manifest.segregation.wrapped:
        return "This attestation declares no wrapped token."
    sections = [
        "A wrapped token is issued on one chain and backed by its origin asset, held in "
        "collateral wallets of its own (role `wrapped:<TOKEN>`). Its backing is the "
        "collateral divided by the issued supply, both in whole tokens, and must be at "
        "least 1:1. Collateral is never counted as customer reserves. The issued supply is "
        "declared at a block: `zkpor reserves check --rpc URL` reads the token's "
        "`totalSupply()` there and compares."
    ]
    # One sentence per under-backed token, as `zkpor verify` words it (step 8).
    failures = dict(zip(_under_backed(manifest), wrapped_shortfalls(manifest), strict=True))
    for token in manifest.segregation.wrapped:
        origin = manifest.decimals[token.origin]
        facts = _table(
            ["", ""],
            [
                ["Token", md_text(token.symbol)],
                ["Chain", md_text(token.chain)],
                ["Contract", md_code(token.contract)],
                ["Origin asset", md_text(token.origin)],
                [
                    "Issued supply",
                    f"{units(token.supply, token.decimals)} {md_text(token.symbol)} at block "
                    f"{token.block}",
                ],
                ["Collateral", f"{units(token.collateral, origin)} {md_text(token.origin)}"],
                ["Backing", wrapped_status(manifest, token)],
            ],
        )
        parts = [f"## {md_text(token.symbol)}", facts]
        if token.symbol in failures:
            parts.append(
                f'!!! failure "FAIL: {md_text(token.symbol)} is under-backed"\n'
                f"    {md_text(failures[token.symbol])}.\n"
            )
        vault = [w for w in data.wallets if w.role == wrapped_role(token.symbol)]
        parts.append(
            "Collateral wallets:\n\n" + wallet_table(manifest, vault)
            if vault
            else "No collateral wallet is declared for this token."
        )
        sections.append("\n\n".join(parts))
    return "\n\n".join(sections)


def _coverages(manifest: Manifest) -> list[Coverage]:
    return [Coverage(a.symbol, _ratio(a.reserves, a.liabilities)) for a in manifest.assets]


def batch_table(entries: Sequence[BatchEntry]) -> str:
    """Return one row per batch (up to ``MAX_BATCH_ROWS``) with its public inputs."""
    rows = [
        [str(e.batch)] + [f"`{value:#066x}`"[:14] + "…`" for value in e.public]
        for e in entries[:MAX_BATCH_ROWS]
    ]
    more = len(entries) - MAX_BATCH_ROWS
    tail = (
        f"\n\n…and {more} more batches: see [`proofs.json`](../attestation/proofs.json)."
        if more > 0
        else ""
    )
    return _table(["Batch", "root", "acc_in", "acc_out"], rows) + tail


def history_body(data: SiteData) -> str:
    """Return the History page: every earlier attestation and coverage over time."""
    timeline = sorted(
        [*data.history, Earlier(data.manifest, "this site")], key=lambda e: e.manifest.as_of
    )
    if len(timeline) == 1:
        return "This is the first attestation published here."
    symbols = sorted({a.symbol for e in timeline for a in e.manifest.assets})
    series: dict[str, list[Fraction | None]] = {s: [] for s in symbols}
    rows = []
    for earlier in timeline:
        by_symbol = {a.symbol: a for a in earlier.manifest.assets}
        cells = []
        for symbol in symbols:
            asset = by_symbol.get(symbol)
            ratio = None if asset is None else _ratio(asset.reserves, asset.liabilities)
            series[symbol].append(ratio)
            cells.append("–" if ratio is None else percent(ratio))
        rows.append(
            [
                md_text(earlier.manifest.as_of),
                md_code(earlier.manifest.attestation_id),
                *cells,
                md_text(earlier.source),
            ]
        )
    return "\n\n".join(
        [
            "Coverage (reserves / liabilities) of each attestation published here, oldest "
            "first. Earlier attestations are listed as their manifests state; check them "
            "with `zkpor verify` on their own sites.",
            coverage_over_time([e.manifest.as_of for e in timeline], series),
            _table(["As of", "Attestation", *map(md_text, symbols), "Source"], rows),
        ]
    )


class _Issued(Protocol):
    """What the pages' heading shows of either format's manifest."""

    @property
    def attestation_id(self) -> str: ...

    @property
    def issuer_name(self) -> str: ...

    @property
    def issuer_url(self) -> str: ...

    @property
    def as_of(self) -> str: ...


class _Reproducible(Protocol):
    """What the Reproduce page shows of either format's site data."""

    @property
    def site_url(self) -> str | None: ...

    @property
    def vendored(self) -> Sequence[Component]: ...

    @property
    def pins(self) -> Mapping[str, str]: ...


def site_base(site_url: str | None) -> str:
    """Return the site's address ending in ``/`` (a placeholder when it has none)."""
    return site_url.rstrip("/") + "/" if site_url else "https://<this site>/"


def heading_values(m: _Issued, version: str) -> dict[str, str]:
    """Return the template values of who issued the attestation, when, and its id."""
    return {
        "issuer": md_text(m.issuer_name),
        "issuer_link": md_link(m.issuer_name, m.issuer_url),
        "as_of": md_text(m.as_of),
        "attestation_id": md_code(m.attestation_id),
        "version": version,
    }


def reproduce_values(data: _Reproducible, base: str) -> dict[str, str]:
    """Return the Reproduce page's values (either format): where the attestation and the
    site are, and the vendored components and pinned files."""
    return {
        "attestation_url": base + "attestation/",
        "site_ref": base if data.site_url else "<site folder or URL>",
        "vendored": _table(
            ["Component", "Version", "Licence", "From"],
            [[c.name, c.version, c.license, c.source] for c in data.vendored],
        )
        + "\n\n"
        + _table(
            ["File", "Subresource integrity"],
            [[md_code(path), md_code(pin)] for path, pin in sorted(data.pins.items())],
        ),
    }


def render_pages(
    data: SiteData, templates: Traversable, verify_js_sri: str, verify_js_path: str
) -> dict[str, str]:
    """Return the Markdown of every page, by file name (``templates``: the pages folder of
    the site's templates, ``publisher.site.build.template()``). ``verify_js_path`` is the
    site path of verify.js, whose subresource integrity is ``verify_js_sri``."""
    m = data.manifest
    files = dict(m.files)
    base = site_base(data.site_url)
    common = {
        "banners": banners(data),
        **heading_values(m, data.version),
        "batches": str(m.tree.batches),
        "arity": str(m.tree.arity),
        "top_depth": str(m.tree.top_depth),
        "leaves_per_batch": str(m.tree.arity**m.tree.batch_depth),
        "circuit_id": md_code(m.circuit_id),
        "constraints": f"{m.constraints:,}",
    }
    pages = {
        "index.md": {
            "accounts": f"{m.tree.batches * m.tree.arity**m.tree.batch_depth:,} leaves "
            f"(accounts and padding) in {m.tree.batches} proven batches.",
            "asset_table": asset_table(m),
            "chart": coverage_bars(_coverages(m))
            if any(a.reserves is not None for a in m.assets)
            else "*No reserves are declared: this attestation proves liabilities only.*",
            "status_table": status_table(data.results),
            "segregation": segregation_summary(m),
            "cosignatures": cosign_summary(data),
        },
        "verify.md": {
            "user_steps": _steps_html(USER_STEP_NAMES),
            "attestation_steps": _steps_html(STEP_NAMES),
            "samples": str(SAMPLES),
            "step_count": str(len(STEP_NAMES)),
            "verify_js_sri": verify_js_sri,
            # relative to the Verify page, verify/index.html
            "verify_js_src": "../" + verify_js_path,
            "download_note": html.escape(download_note(data.download_bytes)),
            "step_help": "\n".join(
                [
                    f"{n}. **{name}**: {USER_STEP_HELP[name]}"
                    for n, name in enumerate(USER_STEP_NAMES, 1)
                ]
                + ["", "The whole attestation:", ""]
                + [
                    f"{n}. **{name}**: {ATTESTATION_STEP_HELP[name]}"
                    for n, name in enumerate(STEP_NAMES, 1)
                ]
            ),
        },
        "reserves.md": {"reserves_body": reserves_body(data)},
        "wrapped.md": {"wrapped_body": wrapped_body(data)},
        "proofs.md": {
            "root": f"{m.tree.root:#066x}",
            "vk_sha256": md_code(files.get(VK, "?")),
            "proofs_sha256": md_code(files.get(PROOFS, "?")),
            "setup": setup_statement(data),
            "batch_table": batch_table(data.entries),
        },
        "methodology.md": {
            "trust": setup_statement(data),
            "asset_list": ", ".join(
                f"{md_text(a.symbol)} ({a.decimals} decimals)" for a in m.assets
            ),
        },
        "reproduce.md": reproduce_values(data, base),
        "history.md": {"history_body": history_body(data)},
    }
    out = {}
    for name, values in pages.items():
        template = Template(templates.joinpath(name).read_text(encoding="utf-8"))
        out[name] = template.substitute({**common, **values})
    return out
