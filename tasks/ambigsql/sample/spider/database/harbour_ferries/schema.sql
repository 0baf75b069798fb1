-- harbour_ferries: written for act-bench (made-up ports, ferries and crossings).
CREATE TABLE port (
    Port_ID INTEGER PRIMARY KEY,
    Name TEXT,
    Town TEXT,
    Country TEXT,
    Berths INTEGER
);
CREATE TABLE ferry (
    Ferry_ID INTEGER PRIMARY KEY,
    Name TEXT,
    Built_Year INTEGER,
    Capacity INTEGER,
    Home_Port_ID INTEGER REFERENCES port(Port_ID)
);
CREATE TABLE crossing (
    Crossing_ID INTEGER PRIMARY KEY,
    Ferry_ID INTEGER REFERENCES ferry(Ferry_ID),
    From_Port_ID INTEGER REFERENCES port(Port_ID),
    To_Port_ID INTEGER REFERENCES port(Port_ID),
    Departure_Date TEXT,
    Passengers INTEGER
);
INSERT INTO port VALUES (1, 'Gullhaven', 'Gullhaven', 'Norway', 4);
INSERT INTO port VALUES (2, 'Merrow Quay', 'Merrow', 'Scotland', 2);
INSERT INTO port VALUES (3, 'Skerry Point', 'Kelsay', 'Scotland', 3);
INSERT INTO port VALUES (4, 'Tarnby Harbour', 'Tarnby', 'Denmark', 5);
INSERT INTO ferry VALUES (1, 'MV Tern', 1998, 420, 2);
INSERT INTO ferry VALUES (2, 'MV Puffin', 2011, 650, 1);
INSERT INTO ferry VALUES (3, 'MV Gannet', 2004, 380, 2);
INSERT INTO ferry VALUES (4, 'MV Eider', 2019, 800, 4);
INSERT INTO ferry VALUES (5, 'MV Skua', 1987, 250, 3);
INSERT INTO crossing VALUES (1, 1, 2, 3, '2023-05-02', 310);
INSERT INTO crossing VALUES (2, 1, 3, 2, '2023-05-02', 275);
INSERT INTO crossing VALUES (3, 2, 1, 4, '2023-05-03', 590);
INSERT INTO crossing VALUES (4, 3, 2, 3, '2023-05-04', 120);
INSERT INTO crossing VALUES (5, 4, 4, 1, '2023-05-04', 760);
INSERT INTO crossing VALUES (6, 5, 3, 2, '2023-05-05', 95);
INSERT INTO crossing VALUES (7, 2, 4, 1, '2023-05-06', 610);
INSERT INTO crossing VALUES (8, 4, 1, 4, '2023-05-07', 705);
