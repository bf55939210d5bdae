"""Training learned matchers: configs (``config``), pair data (``data``), the generic loop
(``loop``), checkpoints (``checkpoint``), TensorBoard events (``tb``) and the AnT wiring (``ant``).

``linecorr train ant --config tiny|paper|FILE.yaml --dataset DIR --out RUN_DIR [--resume] [--set k=v]``;
multi-GPU: ``torchrun --nproc_per_node N -m benchmark train ant ...``.
"""
