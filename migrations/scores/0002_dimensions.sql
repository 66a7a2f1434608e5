-- A score's dimensions: the city score is the sum of five (identity,
-- law-abidance, social credit use, commercial credit use, pro-social
-- behaviour; scores/city_scorecard.py), and each observation keeps what each
-- dimension scored, out of how many points, with the factors that cost it.
create table scores.dimensions (
    observation_id  bigint not null references scores.observations (id) on delete cascade,
    ordinal         smallint not null check (ordinal between 1 and 10),
    code            text not null check (code ~ '^[A-Z][A-Z0-9_]{1,39}$'),
    name            text not null,
    value           integer not null check (value >= 0),
    points          integer not null check (points >= value),
    primary key (observation_id, ordinal),
    unique (observation_id, code)
);

create table scores.dimension_reasons (
    observation_id  bigint not null,
    dimension       text not null,
    rank            smallint not null check (rank between 1 and 10),
    code            text not null check (code ~ '^[A-Z][A-Z0-9_]{1,39}$'),
    description     text not null,
    impact          integer not null check (impact > 0),
    primary key (observation_id, dimension, rank),
    foreign key (observation_id, dimension)
        references scores.dimensions (observation_id, code) on delete cascade
);
