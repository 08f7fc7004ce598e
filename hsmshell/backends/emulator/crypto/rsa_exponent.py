"""RSA key generation for public exponents other than 65537.

genRSAKeyPair accepts any odd -e >= 65537, but `cryptography` only generates keys with
e = 65537. For the other exponents we pick the primes ourselves (random probable primes with
p - 1 coprime to e, checked by Miller-Rabin) and let `cryptography` build the key from them.
Only this uncommon path is slow (a few hundred milliseconds for 2048 bits).
"""

from __future__ import annotations

import math
import secrets

from cryptography.hazmat.primitives.asymmetric import rsa

_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, math.isqrt(p) + 1))]
_SMALL_PRIMES_PRODUCT = math.prod(_SMALL_PRIMES)
# FIPS 186-4 table C.2 asks for 5 rounds at 1024-bit primes with random candidates;
# a few more cost little because composites almost always fail the first round.
_MILLER_RABIN_ROUNDS = 8


def generate_rsa_private_key(modulus_bits: int, public_exponent: int) -> rsa.RSAPrivateKey:
    half = modulus_bits // 2
    while True:
        p = _random_prime(half, public_exponent)
        q = _random_prime(modulus_bits - half, public_exponent)
        # FIPS 186-4 B.3.1: p and q not too close, and d not too small.
        if abs(p - q) <= 1 << (half - 100):
            continue
        d = pow(public_exponent, -1, math.lcm(p - 1, q - 1))
        if d <= 1 << half:
            continue
        public = rsa.RSAPublicNumbers(public_exponent, p * q)
        numbers = rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q),
                                        rsa.rsa_crt_iqmp(p, q), public)
        return numbers.private_key()


def _random_prime(bits: int, public_exponent: int) -> int:
    while True:
        # Top two bits set so that p * q has exactly the requested length; odd.
        candidate = secrets.randbits(bits) | (0b11 << (bits - 2)) | 1
        if math.gcd(candidate, _SMALL_PRIMES_PRODUCT) != 1:
            continue
        if math.gcd(candidate - 1, public_exponent) != 1:
            continue
        if _is_probable_prime(candidate):
            return candidate


def _is_probable_prime(n: int) -> bool:
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for _ in range(_MILLER_RABIN_ROUNDS):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True
