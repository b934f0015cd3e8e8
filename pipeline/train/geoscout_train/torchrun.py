"""`torchrun` that works with Debian's torch 1.13 on Python 3.11.

torch 1.13's `Std.from_str` looks values up by iterating an IntFlag, which Python 3.11 no
longer yields for 0 (NONE) or composite (ALL) members, so plain torchrun dies with
"'NoneType' object has no attribute 'get'". This patches the lookup when it is broken and
then runs torch.distributed.run unchanged (all its options, multi-node included):

  python -m geoscout_train.torchrun --nproc_per_node=2 -m geoscout_train.train ...

On a healthy install (newer torch, any GPU cluster image) plain `torchrun` is the same.
"""
import re

from torch.distributed.elastic.multiprocessing import api


def _patch() -> bool:
    if api.Std.from_str("0") is not None:
        return False

    def from_str(vm: str):
        if re.match(api._VALUE_REGEX, vm):
            return api.Std(int(vm))
        if re.match(api._MAPPING_REGEX, vm):
            return {int(i): api.Std(int(v)) for i, v in (m.split(":") for m in vm.split(","))}
        raise ValueError(f"{vm} does not match: <{api._VALUE_REGEX}> or <{api._MAPPING_REGEX}>")

    api.Std.from_str = staticmethod(from_str)
    return True


if __name__ == "__main__":
    _patch()
    from torch.distributed.run import main

    main()
