import { useNavigation } from '../navigation.js';
import { searchFold, type Habilitation } from '@cafsup/shared';
import { useSession } from '../session.js';
import { useAsync, type AsyncState } from './use-async.js';

/** One row of `:cherche`: a partner, a person (with what they still hold), or a habilitation. */
export interface Found {
  kind: 'partenaire' | 'personne' | 'habilitation';
  id: string;
  name: string;
  partnerId: string;
  partnerName: string;
  /** What the row says beside the name: an e-mail and the rights still held, a profile… */
  about: string;
}

/** No search lists the holdings of more people than this. */
const PEOPLE_DETAILED = 50;

const held = (habilitations: readonly Habilitation[], via?: (habilitation: Habilitation) => string | undefined) =>
  habilitations
    .filter((habilitation) => habilitation.status !== 'revoked')
    .map(
      (habilitation) =>
        `${habilitation.id} ${habilitation.service} ${habilitation.profile}${habilitation.status === 'suspended' ? ' (suspendue)' : ''}${via?.(habilitation) ?? ''}`,
    );

/**
 * `:cherche TEXTE` across partners (name, id, Caf, convention), people (name, e-mail, id) and
 * habilitation ids — « où a-t-elle encore des droits ? »: each person found comes with the
 * habilitations they still hold.
 */
export function useSearch(query: string): AsyncState<Found[]> {
  const { client } = useSession();
  const { revision } = useNavigation();
  return useAsync(async () => {
    const needle = searchFold(query.trim());
    const found: Found[] = [];
    const partners = new Map<string, string>();
    for (const partner of await client.partners.all()) partners.set(partner.id, partner.name);
    for (const partner of await client.partners.all({ search: query.trim() })) {
      found.push({
        kind: 'partenaire',
        id: partner.id,
        name: partner.name,
        partnerId: partner.id,
        partnerName: partner.name,
        about: `Caf ${partner.cafCode} · convention ${partner.conventionNumber}`,
      });
    }
    // People are searched partner by partner: the SDK lists users per partner only.
    let detailed = 0;
    for (const [partnerId, partnerName] of partners) {
      const people: Found[] = [];
      for (const user of await client.users.all({ partnerId })) {
        if (searchFold(`${user.name} ${user.email} ${user.id}`).includes(needle))
          people.push({ kind: 'personne', id: user.id, name: user.name, partnerId, partnerName, about: user.email });
      }
      if (people.length === 0) continue;
      // What they hold, in their own name or through a group: « où a-t-elle encore des droits ? ».
      const [habilitations, groups] = await Promise.all([client.habilitations.all({ partnerId }), client.groups.all({ partnerId })]);
      for (const person of people) {
        const mine = groups.filter((group) => group.memberIds.includes(person.id));
        const holds =
          detailed++ < PEOPLE_DETAILED
            ? held(
                habilitations.filter((habilitation) => habilitation.userId === person.id || mine.some((group) => group.id === habilitation.groupId)),
                (habilitation) =>
                  habilitation.groupId === null
                    ? undefined
                    : ` par le groupe ${mine.find((group) => group.id === habilitation.groupId)?.name ?? habilitation.groupId}`,
              )
            : [];
        found.push({ ...person, about: `${person.about} · ${holds.length === 0 ? 'aucun droit' : `détient ${holds.join(', ')}`}` });
      }
    }
    const habilitation = await client.habilitations.get(query.trim()).catch(() => null);
    if (habilitation !== null) {
      const holder =
        habilitation.userId === null
          ? `groupe ${habilitation.groupId}`
          : ((await client.users.get(habilitation.userId).catch(() => null))?.name ?? habilitation.userId);
      found.push({
        kind: 'habilitation',
        id: habilitation.id,
        name: holder,
        partnerId: habilitation.partnerId,
        partnerName: partners.get(habilitation.partnerId) ?? '',
        about: held([habilitation]).join('') || 'dévalidée',
      });
    }
    return found;
  }, [query, revision]);
}
