"""A small directory for unit tests: two streets, three communities."""

from __future__ import annotations

DIRECTORY_YAML = """\
venue: 区党群服务中心
streets:
  - {street_id: s-east, name: 东城街道}
  - {street_id: s-west, name: 西城街道}
communities:
  - {community_id: c-1, street_id: s-east, name: 和平社区}
  - {community_id: c-2, street_id: s-east, name: 光明社区}
  - {community_id: c-3, street_id: s-west, name: 幸福社区}
departments:
  - {department_id: d-civil, name: 区民政局}
people:
  - {person_id: p-sec-1, name: 张伟, roles: [community_secretary], unit: {kind: community, id: c-1}}
  - {person_id: p-sec-2, name: 王芳, roles: [community_secretary], unit: {kind: community, id: c-2}}
  - {person_id: p-sec-3, name: 李娜, roles: [community_secretary], unit: {kind: community, id: c-3}}
  - {person_id: p-org-east, name: 刘洋, roles: [street_org_member], unit: {kind: street, id: s-east}}
  - {person_id: p-org-west, name: 陈静, roles: [street_org_member], unit: {kind: street, id: s-west}}
  - {person_id: p-civil, name: 赵磊, roles: [dept_responsible_leader], unit: {kind: department, id: d-civil}}
  - {person_id: p-head, name: 孙丽, roles: [org_deputy_head], unit: {kind: district, id: d}}
  - person_id: p-office
    name: 周敏
    roles: [party_office]
    unit: {kind: district, id: d}
    channels:
      - {kind: email, address: zhoumin@example.org}
      - {kind: in_app}
"""
