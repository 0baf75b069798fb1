-- orchard_coop: written for act-bench (made-up growers, orchards and harvests).
CREATE TABLE grower (
    Grower_ID INTEGER PRIMARY KEY,
    Name TEXT,
    Village TEXT,
    Joined_Year INTEGER
);
CREATE TABLE orchard (
    Orchard_ID INTEGER PRIMARY KEY,
    Grower_ID INTEGER REFERENCES grower(Grower_ID),
    Fruit TEXT,
    Hectares REAL,
    Planted_Year INTEGER
);
CREATE TABLE harvest (
    Harvest_ID INTEGER PRIMARY KEY,
    Orchard_ID INTEGER REFERENCES orchard(Orchard_ID),
    Season INTEGER,
    Tonnes REAL,
    Price_Per_Tonne REAL
);
INSERT INTO grower VALUES (1, 'Elena Moss', 'Ashby', 2001);
INSERT INTO grower VALUES (2, 'Karl Weiss', 'Bramford', 1995);
INSERT INTO grower VALUES (3, 'Priya Nair', 'Ashby', 2014);
INSERT INTO orchard VALUES (1, 1, 'apple', 12.5, 1999);
INSERT INTO orchard VALUES (2, 1, 'pear', 4.0, 2005);
INSERT INTO orchard VALUES (3, 2, 'apple', 20.0, 1990);
INSERT INTO orchard VALUES (4, 3, 'cherry', 6.5, 2015);
INSERT INTO harvest VALUES (1, 1, 2022, 410.0, 520.0);
INSERT INTO harvest VALUES (2, 1, 2023, 455.0, 540.0);
INSERT INTO harvest VALUES (3, 2, 2023, 98.0, 610.0);
INSERT INTO harvest VALUES (4, 3, 2023, 700.0, 500.0);
INSERT INTO harvest VALUES (5, 4, 2023, 55.0, 2100.0);
