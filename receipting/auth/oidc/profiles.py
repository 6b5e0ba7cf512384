"""How strict to be with each kind of provider: GOV.UK One Login, or a council's workforce one.

A profile is what differs between providers that all speak OpenID Connect: which signature
algorithms their ID tokens may use, whether they take a vector of trust (`vtr`) and must answer
with the level achieved (`vot`), and how long their discovery document may be cached.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from receipting.errors import ConfigurationError

ONE_DAY_S = 24 * 60 * 60
ONE_HOUR_S = 60 * 60


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    # Never `none`, never an HMAC algorithm: a provider signs with its private key, and an HMAC
    # "signature" keyed with its public key is the algorithm-confusion attack.
    id_token_algs: tuple[str, ...]
    # Sends `vtr` on the authorization request and insists on `vot` in the ID token.
    uses_vectors_of_trust: bool
    # Credential trust levels, weakest first: a `vot` is enough when it is at or after the
    # weakest level asked for.
    trust_levels: tuple[str, ...]
    sends_ui_locales: bool
    # The longest the discovery document and key set are kept, whatever the provider says.
    max_metadata_age_s: int

    def __post_init__(self) -> None:
        bad = [alg for alg in self.id_token_algs if not alg.startswith(("ES", "RS", "PS"))]
        if bad:
            raise ValueError(f"profile {self.name}: asymmetric algorithms only, not {bad}")

    def required_level(self, vtr: str) -> str | None:
        """The weakest trust level a `vtr` (a JSON array such as '["Cl.Cm"]') accepts.

        None when this profile does not use vectors of trust. A vtr that names a level this
        profile does not know is a configuration mistake, reported as one.
        """
        if not self.uses_vectors_of_trust:
            return None
        try:
            vectors = json.loads(vtr)
        except ValueError:
            vectors = None
        if (
            not isinstance(vectors, list)
            or not vectors
            or not all(isinstance(v, str) and v in self.trust_levels for v in vectors)
        ):
            raise ConfigurationError(
                f"RECEIPTING_OIDC_VTR is {vtr!r}; it must be a JSON array of the levels "
                f"{', '.join(self.trust_levels)}, such as '[\"Cl.Cm\"]' (two factors)."
            )
        weakest: str = min(vectors, key=self.trust_levels.index)
        return weakest

    def level_satisfies(self, vot: str, required: str) -> bool:
        if vot not in self.trust_levels:
            return False
        return self.trust_levels.index(vot) >= self.trust_levels.index(required)


# GOV.UK One Login: ES256 ID tokens by default (RS256 when the service asks), "Cl" a password
# only, "Cl.Cm" a password and a second factor; its documentation says to cache discovery a day.
ONE_LOGIN = Profile(
    name="one_login",
    id_token_algs=("ES256", "RS256"),
    uses_vectors_of_trust=True,
    trust_levels=("Cl", "Cl.Cm"),
    sends_ui_locales=True,
    max_metadata_age_s=ONE_DAY_S,
)

# A council's staff directory (Microsoft Entra ID and the like): RS256 usually, no vectors of
# trust (the directory enforces its own multi-factor policy). Keys there rotate without notice,
# so metadata is kept an hour at most.
WORKFORCE = Profile(
    name="workforce",
    id_token_algs=("RS256", "ES256"),
    uses_vectors_of_trust=False,
    trust_levels=(),
    sends_ui_locales=True,
    max_metadata_age_s=ONE_HOUR_S,
)
