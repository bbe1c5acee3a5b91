"""Cost of the payload codec alone: encrypt and decrypt the green-lane clearance's workflow input (the largest
payload of a green clearance) through the project's converter, with and without the codec.

    python -m bench.codec            # best of 5 x 2000 round trips
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bench.throughput import clearance_input
from sop.model import SopRef
from stack.codec import PLAIN, EncryptionCodec, converter_for
from stack.crypto import Keyring
from tests.support import sop_definition


async def per_round_trip(n: int, encrypted: bool) -> tuple[float, int]:
    converter = converter_for(Keyring.generate()) if encrypted else PLAIN
    sop = sop_definition(1, name="bench-clearance")
    value = clearance_input(sop, SopRef(name=sop.name, version=sop.version, hash="0" * 64))
    [payload] = await converter.encode([value])
    started = time.perf_counter()
    for _ in range(n):
        [payload] = await converter.encode([value])
        await converter.decode([payload], [type(value)])
    return (time.perf_counter() - started) / n, payload.ByteSize()


async def codec_only(n: int) -> float:
    """Encrypt + decrypt of the already-converted payload: what the codec adds per payload."""
    codec = EncryptionCodec(Keyring.generate())
    sop = sop_definition(1, name="bench-clearance")
    [payload] = await PLAIN.encode([clearance_input(sop, SopRef(name=sop.name, version=1, hash=""))])
    started = time.perf_counter()
    for _ in range(n):
        codec.decrypt(codec.encrypt(payload))
    return (time.perf_counter() - started) / n


async def main(n: int, rounds: int) -> None:
    """Alternating rounds, best of each: the machine is shared, the minimum is the cost."""
    plain, sealed, alone = [], [], []
    for _ in range(rounds):
        plain.append(await per_round_trip(n, encrypted=False))
        sealed.append(await per_round_trip(n, encrypted=True))
        alone.append(await codec_only(n))
    (p, p_bytes), (s, s_bytes) = min(plain), min(sealed)
    print(f"ClearanceInput (green lane), best of {rounds} x {n} encode+decode round trips")
    print(f"  pydantic converter          {p * 1e6:8.1f} us  {p_bytes} bytes")
    print(f"  pydantic converter + codec  {s * 1e6:8.1f} us  {s_bytes} bytes")
    print(f"  codec alone (AES-256-GCM)   {min(alone) * 1e6:8.1f} us")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.n, arguments.rounds))
