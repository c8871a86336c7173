"""The care timeline: typed posts newest first, 「確認しました」 acknowledgements, and photos.

Every post kind belongs to a consent category (a visit record is VISITS, vitals are VITALS,
messages and photos the CARE_TIMELINE): a reader sees a post only when the person's consent
shares that category with them. Posts for professionals only (`audience=team`) are never
shown to family members, whatever their consent says.
"""

import base64
import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from server.auth.access import CARE_ROLES, DataCategory, Principal
from server.care.common import (
    can_see,
    fhir_create,
    fhir_instant,
    is_family,
    require,
    user_names,
    utcnow,
)
from server.care.models import CarePhoto, CarePost, CarePostAck
from server.care.schemas import AckOut, Audience, PhotoOut, PostIn, PostKind, PostOut
from server.core.errors import Conflict, Forbidden, InvalidInput, MachiError, NotFound

KIND_CATEGORY: dict[PostKind, DataCategory] = {
    PostKind.VISIT_RECORD: DataCategory.VISITS,
    PostKind.VITALS: DataCategory.VITALS,
    PostKind.SERVICE_USE: DataCategory.VISITS,
    PostKind.MESSAGE: DataCategory.CARE_TIMELINE,
    PostKind.PHOTO: DataCategory.CARE_TIMELINE,
}
PHOTO_MAX_BYTES = 5 * 1024 * 1024  # a phone photo resized by the app is well under this
PHOTO_URL = "/api/v1/care/photos/{id}"


class UnsupportedMediaType(MachiError):
    status_code = 415
    error = "unsupported_media_type"


def image_type(head: bytes) -> str | None:
    """The image type from the file's magic bytes (never from what the client claims)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"mif1", b"heim", b"heis"):
        return "image/heic"
    return None


def visible_kinds(session: Session, principal: Principal, patient_id: str) -> set[PostKind]:
    return {
        kind
        for kind, category in KIND_CATEGORY.items()
        if can_see(session, principal, patient_id, category)
    }


def _may_see_post(principal: Principal, post: CarePost, kinds: set[PostKind]) -> bool:
    if PostKind(post.kind) not in kinds:
        return False
    return not (post.audience == Audience.TEAM and is_family(principal))


def post_out(session: Session, principal: Principal, posts: Sequence[CarePost]) -> list[PostOut]:
    ids = [post.id for post in posts]
    acks = (
        session.exec(
            select(CarePostAck)
            .where(col(CarePostAck.post_id).in_(ids))
            .order_by(col(CarePostAck.acked_at))
        ).all()
        if ids
        else []
    )
    people = user_names(session, {p.author_user_id for p in posts} | {a.user_id for a in acks})
    by_post: dict[str, list[AckOut]] = {}
    for ack in acks:
        user = people.get(ack.user_id)
        by_post.setdefault(ack.post_id, []).append(
            AckOut(
                user_id=ack.user_id,
                name=user.display_name if user else ack.user_id,
                role=user.role if user else "",
                acked_at=ack.acked_at,
            )
        )
    result = []
    for post in posts:
        author = people.get(post.author_user_id)
        post_acks = by_post.get(post.id, [])
        result.append(
            PostOut(
                id=post.id,
                patient_id=post.patient_id,
                kind=PostKind(post.kind),
                audience=Audience(post.audience),
                text=post.text,
                data=json.loads(post.data) if post.data else None,
                photo_urls=[PHOTO_URL.format(id=p) for p in post.photo_ids.split()],
                author_id=post.author_user_id,
                author_name=author.display_name if author else post.author_user_id,
                author_role=post.author_role,
                occurred_at=post.occurred_at,
                created_at=post.created_at,
                acks=post_acks,
                acked_by_me=any(a.user_id == principal.subject for a in post_acks),
            )
        )
    return result


def timeline(
    session: Session,
    principal: Principal,
    patient_id: str,
    *,
    kinds: Sequence[PostKind] = (),
    before: datetime | None = None,
    limit: int = 50,
) -> list[PostOut]:
    """Newest first; filtered by type; only what the person's consent shares with the caller."""
    require(session, principal, "search", patient_id, DataCategory.CARE_TIMELINE, "Communication")
    allowed = visible_kinds(session, principal, patient_id)
    wanted = allowed & set(kinds) if kinds else allowed
    if not wanted:
        return []
    query = select(CarePost).where(
        CarePost.patient_id == patient_id, col(CarePost.kind).in_([k.value for k in wanted])
    )
    if is_family(principal):
        query = query.where(CarePost.audience == Audience.ALL.value)
    if before is not None:
        query = query.where(col(CarePost.occurred_at) < before)
    posts = session.exec(
        query.order_by(col(CarePost.occurred_at).desc(), col(CarePost.id)).limit(limit)
    ).all()
    return post_out(session, principal, posts)


def _check_photos(session: Session, patient_id: str, photo_ids: Sequence[str]) -> None:
    for photo_id in photo_ids:
        photo = session.get(CarePhoto, photo_id)
        if photo is None or photo.patient_id != patient_id:
            raise InvalidInput(f"photo {photo_id} was not uploaded for this person")


def add_post(
    session: Session,
    principal: Principal,
    patient_id: str,
    body: PostIn,
    *,
    authorized: bool = False,
) -> CarePost:
    """A new post. With a client-made id, sending the same post again returns the first one."""
    if body.kind is PostKind.VISIT_RECORD and not authorized:
        raise InvalidInput("visit records are posted by recording the visit")
    if body.kind is PostKind.PHOTO and not body.photo_ids:
        raise InvalidInput("a photo post needs at least one photo")
    if not body.text.strip() and not body.photo_ids and not body.data:
        raise InvalidInput("write something, or attach a photo")
    if body.audience is Audience.TEAM and principal.role not in CARE_ROLES:
        raise InvalidInput("only care professionals post for professionals only")
    if not authorized:
        require(session, principal, "create", patient_id, KIND_CATEGORY[body.kind], "Communication")
    if body.id is not None:
        existing = session.get(CarePost, body.id)
        if existing is not None:
            if existing.patient_id != patient_id or existing.author_user_id != principal.subject:
                raise Conflict("a different post already has this id")
            return existing
    _check_photos(session, patient_id, body.photo_ids)
    post = CarePost(
        id=body.id or uuid.uuid4().hex,
        patient_id=patient_id,
        author_user_id=principal.subject,
        author_role=principal.role.value if principal.patient_id != patient_id else "self",
        kind=body.kind.value,
        audience=body.audience.value,
        text=body.text.strip(),
        data=json.dumps(body.data, ensure_ascii=False) if body.data else None,
        photo_ids=" ".join(body.photo_ids),
        occurred_at=body.occurred_at or utcnow(),
    )
    session.add(post)
    session.flush()
    return post


def _post_for(session: Session, principal: Principal, post_id: str) -> CarePost:
    post = session.get(CarePost, post_id)
    if post is None:
        raise NotFound("no such post")
    return post


def acknowledge(session: Session, principal: Principal, post_id: str) -> PostOut:
    """「確認しました」: idempotent; the reader must be allowed to see the post."""
    post = _post_for(session, principal, post_id)
    require(
        session, principal, "create", post.patient_id, DataCategory.CARE_TIMELINE, "Communication"
    )
    if not _may_see_post(principal, post, visible_kinds(session, principal, post.patient_id)):
        raise Forbidden("this post is not shared with you")
    if session.get(CarePostAck, (post.id, principal.subject)) is None:
        session.add(CarePostAck(post_id=post.id, user_id=principal.subject))
        session.flush()
    return post_out(session, principal, [post])[0]


# ---- photos -----------------------------------------------------------------------------


def upload_photo(
    session: Session,
    principal: Principal,
    patient_id: str,
    content: bytes,
    *,
    photo_id: str | None = None,
) -> PhotoOut:
    """Store an image as a FHIR DocumentReference (+ its bytes); nothing else is accepted."""
    require(
        session, principal, "create", patient_id, DataCategory.CARE_TIMELINE, "DocumentReference"
    )
    if len(content) > PHOTO_MAX_BYTES:
        raise MachiError(
            f"the photo is {len(content) // 1024} KB; the limit is {PHOTO_MAX_BYTES // 1024} KB",
            status_code=413,
        )
    if not content:
        raise InvalidInput("the photo is empty")
    content_type = image_type(content[:16])
    if content_type is None:
        raise UnsupportedMediaType("only photos (JPEG, PNG, WebP, HEIC) can be shared")
    digest = hashlib.sha256(content).hexdigest()
    if photo_id is not None:
        existing = session.get(CarePhoto, photo_id)
        if existing is not None:
            if existing.sha256 != digest or existing.patient_id != patient_id:
                raise Conflict("a different photo already has this id")
            return _photo_out(existing)
    new_id = photo_id or uuid.uuid4().hex
    document_id = f"photo-{new_id}"[:64]
    fhir_create(
        session,
        principal,
        "DocumentReference",
        {
            "resourceType": "DocumentReference",
            "status": "current",
            "type": {"text": "photo"},
            "category": [{"coding": [{"system": "urn:machi:care-post-kind", "code": "photo"}]}],
            "subject": {"reference": f"Patient/{patient_id}"},
            "date": fhir_instant(utcnow()),
            "author": [{"identifier": {"system": "urn:machi:user", "value": principal.subject}}],
            "content": [
                {
                    "attachment": {
                        "contentType": content_type,
                        "url": PHOTO_URL.format(id=new_id),
                        "size": len(content),
                        "hash": base64.b64encode(hashlib.sha1(content).digest()).decode(),
                    }
                }
            ],
        },
        document_id,
    )
    photo = CarePhoto(
        id=new_id,
        patient_id=patient_id,
        uploaded_by=principal.subject,
        content_type=content_type,
        size=len(content),
        sha256=digest,
        content=content,
        document_reference_id=document_id,
    )
    session.add(photo)
    session.flush()
    return _photo_out(photo)


def _photo_out(photo: CarePhoto) -> PhotoOut:
    return PhotoOut(
        id=photo.id,
        url=PHOTO_URL.format(id=photo.id),
        content_type=photo.content_type,
        size=photo.size,
        document_reference_id=photo.document_reference_id,
    )


def read_photo(session: Session, principal: Principal, photo_id: str) -> CarePhoto:
    """The bytes, under the same rules as the post that shows them."""
    photo = session.get(CarePhoto, photo_id)
    if photo is None:
        raise NotFound("no such photo")
    require(
        session,
        principal,
        "read",
        photo.patient_id,
        DataCategory.CARE_TIMELINE,
        "DocumentReference",
    )
    if is_family(principal):
        hidden = session.exec(
            select(CarePost.id).where(
                CarePost.patient_id == photo.patient_id,
                CarePost.audience == Audience.TEAM.value,
                col(CarePost.photo_ids).contains(photo.id),
            )
        ).first()
        if hidden is not None:
            raise Forbidden("this photo is shared with the care professionals only")
    return photo


def own_role(principal: Principal, patient_id: str) -> str:
    return "self" if principal.patient_id == patient_id else principal.role.value
