"""The rig and part records shared by the character builders and the animator (pure Python).

Rest pose convention (every family): the character stands on the ground plane ``z = 0``, faces
``-Y`` (towards a camera on the ``-Y`` side), its left is ``+X``, up is ``+Z``; 1 unit ~ 1 m.
Joints are empties with identity rotation at rest, so in every joint's local frame
rotation about X swings a limb forward/back, about Y raises it sideways, about Z twists it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

#: Joint kinds the animator understands; a family uses the ones it has.
JOINT_KINDS = ("root", "spine", "neck", "head", "arm", "leg", "wing", "tail", "ear", "prop")


@dataclass
class JointInfo:
    """One joint of a character's hierarchy."""

    name: str  # unique within the character
    parent: str | None  # parent joint name (None for the root)
    rest: tuple[float, float, float]  # world position at rest
    kind: str = ""  # one of JOINT_KINDS ("" = rigid helper, not animated)
    side: int = 0  # +1 left (+X), -1 right, 0 centre
    seg: int = 0  # 0 = shoulder/hip, 1 = elbow/knee, 2 = wrist/ankle; tails and wings: index along the chain
    pair: int = 0  # legs: 0 = front (or the only) pair, 1 = hind pair


@dataclass
class PartInfo:
    """One rendered part: a mesh object with a unique id (its correspondence label)."""

    id: int  # part id >= 1 = the object's pass_index = correspondence label
    name: str  # human-readable, e.g. "pupil_l"
    slot: str  # color slot name (materials.SLOTS); its index is the color label
    joint: str  # joint it is attached to

    def to_json(self) -> dict:
        return asdict(self)
